"""Output formats: one module per format, each `render(report, catalog, *, verbose) -> str`.

They read only the finished report document, never the scanner's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trustscan.catalog import Catalog
from trustscan.formats import console, html, jsonreport, junit, markdown, sarif

Renderer = Callable[..., str]

FORMATS: Mapping[str, Renderer] = {
    "console": console.render,
    "json": jsonreport.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "html": html.render,
}


def render(name: str, report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    return FORMATS[name](report, catalog, verbose=verbose)
