"""The gettext no-op marker shared by ``ops``, ``data`` and ``dashboard``.

Messages defined outside a request (rule reasons, service errors, labels built at import time) are
English source strings wrapped in :func:`N_`: Babel extracts them (``pybabel extract -k N_``, see
``make i18n``) and the UI translates them at display time, in the reader's locale.
"""

from __future__ import annotations

__all__ = ["N_"]


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the gettext no-op marker
    """Mark ``message`` for extraction without translating it: this code runs outside any request locale."""
    return message
