"""Loading one Dash page module on its own, for unit tests of its helpers and registrations."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import dashboard.security

PAGES = Path(__file__).resolve().parents[2] / "dashboard" / "pages"


def load_page(monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[ModuleType, dict[str, Any], list[str]]:
    """``dashboard/pages/<name>.py`` loaded in isolation: registrations recorded, no Dash app or global callbacks touched.

    Returns the module, the keyword arguments it passed to ``dash.register_page`` (plus ``module``)
    and the action of every callback it registered through ``secured_callback``.
    """
    import dash

    registered: dict[str, Any] = {}
    callback_actions: list[str] = []

    def register_page(module: str, **kwargs: Any) -> None:
        registered.update(kwargs, module=module)

    def secured_callback(action: str, *_args: Any, **_kwargs: Any):
        callback_actions.append(action)
        return lambda function: function

    monkeypatch.setattr(dash, "register_page", register_page)
    monkeypatch.setattr(dash, "clientside_callback", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(dashboard.security, "secured_callback", secured_callback)
    spec = importlib.util.spec_from_file_location(f"_{name}_page_under_test", PAGES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, registered, callback_actions
