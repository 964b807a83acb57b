"""Every user-visible string is in both catalogs, translated (zh_CN) and not fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dashboard.i18n import TRANSLATIONS_DIR, catalog_locale, compile_catalogs, format_datetime

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "lazy_gettext": None, "gettext": None}


def source_messages() -> set[str]:
    found = set()
    for package in ("dashboard", "ops", "data", "optimizer"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                found.add(message)
    return found


def catalog(locale: str):
    directory = str(catalog_locale(locale))  # zh_CN lives in zh_Hans_CN, Babel's canonical name
    with (TRANSLATIONS_DIR / directory / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_source_string_is_translated(locale):
    cat = catalog(locale)
    missing = sorted(m for m in source_messages() if m not in cat or not cat[m].string)
    assert not missing, f"{locale}: untranslated strings (run `make i18n` and fill them in): {missing}"
    fuzzy = sorted(m.id for m in cat if m.id and m.fuzzy)
    assert not fuzzy, f"{locale}: fuzzy translations need review: {fuzzy}"


def test_chinese_catalog_is_not_a_copy_of_the_english():
    cat = catalog("zh_CN")
    untranslated = sorted(m.id for m in cat if m.id and m.string == m.id)
    assert not untranslated


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_placeholders_survive_translation(locale):
    """Service messages are filled in after translation: a lost ``%(name)s`` would raise or drop a value."""
    placeholder = re.compile(r"%\(\w+\)s|\{\w*\}")
    for m in catalog(locale):
        if m.id and m.string:
            assert sorted(placeholder.findall(m.id)) == sorted(placeholder.findall(m.string)), m.id


def test_catalogs_compile(tmp_path):
    import shutil

    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = compile_catalogs(copy)
    assert {p.parent.parent.name for p in written} == {"zh_Hans_CN", "en"}


def test_dates_are_shown_in_the_configured_zone():
    from datetime import UTC, datetime

    instant = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    # Santiago is UTC-3 in southern-hemisphere summer.
    assert format_datetime(instant, "America/Santiago") == "2026-11-26 12:00"
    assert format_datetime(instant, "Asia/Shanghai") == "2026-11-26 23:00"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 1, 1), "America/Santiago")


@pytest.mark.parametrize(("code", "expected"), [("zh_CN", "燃气抢修调度"), ("en", "Gas Dispatch")])
def test_language_cookie_selects_the_catalog(code, expected):
    """A zh_CN cookie must reach the zh_CN catalog (Babel would otherwise look for zh_Hans_CN)."""
    import flask_babel
    from flask import Flask

    from dashboard.i18n import init_i18n

    server = Flask(__name__)
    init_i18n(server, "en", "America/Santiago")
    with server.test_request_context("/", headers={"Cookie": f"gd_lang={code}"}):
        assert flask_babel.gettext("Gas Dispatch") == expected


def test_format_clock_shows_the_date_only_when_it_is_not_today_in_the_configured_zone():
    from datetime import UTC, datetime

    from dashboard.i18n import format_clock

    now = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 20:30 in Santiago (UTC-3)
    assert format_clock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC), now, "America/Santiago") == "23:00"
    assert format_clock(datetime(2026, 11, 27, 4, 0, tzinfo=UTC), now, "America/Santiago") == "11-27 01:00"
    assert format_clock(None, now, "America/Santiago") == ""
