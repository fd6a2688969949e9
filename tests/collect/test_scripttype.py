"""Which <script> elements run: the one reading shared by script-written HTML and tracker detection."""

from __future__ import annotations

import pytest

from trustscan.collect.crawl.scripttype import script_type_runs


@pytest.mark.parametrize("value", [None, "", "  ", "module", "text/javascript", "TEXT/JavaScript",
                                   "text/javascript; charset=utf-8", "application/x-javascript", "text/jscript"])
def test_javascript_types_run(value: str | None) -> None:
    assert script_type_runs(value)


@pytest.mark.parametrize("value", ["text/plain", "text/template", "text/html", "application/ld+json",
                                   "text/x-handlebars-template", "importmap", "text/javascript2"])
def test_other_types_are_data_or_held_back(value: str) -> None:
    assert not script_type_runs(value)
