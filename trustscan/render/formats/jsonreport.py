"""The report document itself, as pretty-printed UTF-8 JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustscan.core.catalog import Catalog
from trustscan.report.document import dumps


def render(report: Mapping[str, Any], catalog: Catalog, *, verbose: bool = False) -> str:
    return dumps(report)
