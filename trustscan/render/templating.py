"""The Jinja2 environment for HTML and SVG outputs: templates under `reports/templates/`.

Autoescaping is ON for every template, whatever its name: report values come from the scanned
site (titles, URLs, security.txt fields), and escaping is what keeps them text, never markup.
"""

from __future__ import annotations

from functools import cache

import jinja2

__all__ = ["environment"]


@cache
def environment() -> jinja2.Environment:
    """The shared, immutable-once-built environment (cached: loading templates is not free)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("trustscan.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
