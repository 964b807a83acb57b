"""When a hotline call started (R5.5, R6): the server's clock at the agent's first lookup or edit.

The time a report is received starts every class-1 clock: the 30-minute departure (R6.1), the
3-minute auto-dispatch (R7.3) and the 20-minute red alert (R7.4). On the hotline the caller is
waiting from the moment the agent starts the call, not from the moment Save is pressed, so the
page asks the server to stamp the call at its first lookup or edit after "New call" (which reloads
the page and so starts without a stamp), and the save passes that stamp on as ``received_at``.

The time is the server's (``context().clock()``), never the browser's. The browser only carries
it between callbacks, signed with the app's secret key, so editing the store cannot backdate a
ticket: a stamp that does not verify counts as none, and the service then uses the save time. The
service also bounds the stamp (no more than ``ops.services.intake.LONGEST_CALL`` before the save),
so a form left open before a call does not backdate the ticket either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["call_start", "stamp"]

#: Keeps a call stamp from being accepted as any other value signed with the same key.
SALT = "gasdispatch.hotline.call-start"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def stamp(now: datetime) -> str:
    """The signed call start for the page's store; ``now`` is the server's clock."""
    return _serializer().dumps(now.isoformat())


def call_start(token: Any) -> datetime | None:
    """The call start a :func:`stamp` carries, or ``None`` for no stamp, a forged one or a malformed one."""
    if not isinstance(token, str) or not token:
        return None
    try:
        value = _serializer().loads(token)
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except (BadSignature, ValueError):
        return None
    return when if when is not None and when.tzinfo is not None else None
