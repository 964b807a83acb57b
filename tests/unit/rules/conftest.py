"""Every rule test runs without the developer's ``GASDISPATCH_RULE_*`` variables and with fresh settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ops.rules import get_rule_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Isolate each test from the developer's environment and from the cached settings."""
    for name in list(os.environ):
        if name.startswith("GASDISPATCH_RULE_") or name == "GASDISPATCH_TIMEZONE":
            monkeypatch.delenv(name)
    get_rule_settings.cache_clear()
    yield
    get_rule_settings.cache_clear()
