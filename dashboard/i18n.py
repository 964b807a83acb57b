"""Translations (zh_CN and en) and time-zone aware formatting for every user-visible string.

Strings are wrapped in ``_()`` from the first page on and looked up per request, so a language
switch takes effect on the next render without restarting the server. Message catalogs (``.po``)
live in ``dashboard/translations``; their compiled ``.mo`` files are rebuilt automatically when a
``.po`` is newer, so a fresh clone never serves stale or missing translations.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, gettext, lazy_gettext, ngettext

LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
LANGUAGE_COOKIE = "gd_lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

_ = gettext
__all__ = ["LANGUAGES", "_", "format_datetime", "format_duration", "lazy_gettext", "ngettext"]


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or older; returns what was written."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
        written.append(mo)
    return written


def current_language(default: str) -> str:
    """The request's language: the user's cookie choice, else the deployment default."""
    try:
        chosen = request.cookies.get(LANGUAGE_COOKIE)
    except RuntimeError:  # outside a request (CLI, tests of pure functions)
        return default
    return chosen if chosen in LANGUAGES else default


def init_i18n(server: Flask, default_language: str, timezone: str) -> Babel:
    compile_catalogs()
    server.config["BABEL_DEFAULT_LOCALE"] = default_language
    server.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    server.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    server.config["GD_TIMEZONE"] = timezone
    return Babel(server, locale_selector=lambda: catalog_locale(current_language(default_language)))


def catalog_locale(code: str) -> Locale:
    """The Babel locale for a language code; its name is the catalog directory's.

    Babel expands ``zh_CN`` to its canonical ``zh_Hans_CN`` (with the script), and looks for the
    catalog under that name: so the Simplified Chinese catalog lives in ``translations/zh_Hans_CN``
    while users, cookies and settings keep saying ``zh_CN``.
    """
    return Locale.parse(code)


def format_datetime(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant shown in the configured zone (R1.2: dispatchers read local clock times)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("refusing to format a naive datetime: store and pass aware UTC instants")
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def format_clock(value: datetime | None, now: datetime, timezone: str) -> str:
    """Clock time for today, date and time otherwise: a dispatcher's "14:05" must never mean tomorrow's."""
    if value is None:
        return ""
    same_day = format_datetime(value, timezone, "%Y-%m-%d") == format_datetime(now, timezone, "%Y-%m-%d")
    return format_datetime(value, timezone, "%H:%M" if same_day else "%m-%d %H:%M")


def format_duration(delta: timedelta) -> str:
    """Signed 'h:mm' for time left; negative means overdue, which the UI marks separately."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rem = divmod(total, 3600)
    return f"{sign}{hours}:{rem // 60:02d}"
