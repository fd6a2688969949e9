"""Output formats: one module per format, each `render(report, catalog, *, verbose) -> str`.

They read only the finished report document, never the scanner's internals. A format's module
is imported the first time it is used, so a console audit does not load Jinja2 and the SARIF,
JUnit and HTML code at start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from trustscan.core.catalog import Catalog
from trustscan.report.localise import localise

Renderer = Callable[..., str]

_MODULES = {
    "console": "console",
    "json": "jsonreport",
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "html": "html",
}


class _Renderers(Mapping[str, Renderer]):
    """Format name -> its module's `render`, imported on first lookup."""

    def __getitem__(self, name: str) -> Renderer:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        renderer: Renderer = module.render
        return renderer

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Renderer] = _Renderers()


def render(name: str, report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    """*report* in format *name*, worded in *catalog*'s language whatever language the scan used."""
    return FORMATS[name](localise(report, catalog), catalog, verbose=verbose)
