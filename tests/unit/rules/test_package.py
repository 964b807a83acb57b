"""``ops.rules`` is the import path for every rule: each family module's public names are re-exported."""

from __future__ import annotations

import importlib

import pytest

import ops.rules

FAMILIES = ("settings", "classification", "deadlines", "safety", "escalation", "duplicates", "callbacks",
            "appointments")


@pytest.mark.parametrize("family", FAMILIES)
def test_rules_package_re_exports_every_family(family: str):
    module = importlib.import_module(f"ops.rules.{family}")
    public = set(module.__all__)
    assert public <= set(ops.rules.__all__)
    for name in public:
        assert getattr(ops.rules, name) is getattr(module, name)


def test_rules_package_all_names_exist():
    assert [name for name in ops.rules.__all__ if not hasattr(ops.rules, name)] == []
