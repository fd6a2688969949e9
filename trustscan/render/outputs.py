"""Several output formats of one report, written side by side into a folder (`--output-dir`).

Each file is written to a temporary name and renamed into place, so a CI job that uploads the
folder never picks up a half-written SARIF or JUnit file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from trustscan.core.atomicwrite import write_atomically
from trustscan.core.catalog import Catalog
from trustscan.render.formats import FORMATS, render

#: File name of each format inside the output folder; a format added later defaults to trustscan.<name>.
OUTPUT_FILES: Mapping[str, str] = {
    "json": "trustscan-report.json",
    "sarif": "trustscan.sarif",
    "junit": "trustscan-junit.xml",
    "markdown": "trustscan-summary.md",
    "console": "trustscan-console.txt",
}
#: What `--output-dir` writes when no `--emit` is given: everything a CI job uploads.
DEFAULT_EMIT: tuple[str, ...] = ("json", "sarif", "junit", "markdown")


#: The format `-o FILE` gets from FILE's extension when no --format is given (JSON for any other).
FORMAT_BY_SUFFIX: Mapping[str, str] = {
    ".json": "json", ".sarif": "sarif", ".xml": "junit", ".md": "markdown", ".html": "html", ".htm": "html",
    ".txt": "console",
}


def format_for_file(path: Path) -> str:
    return FORMAT_BY_SUFFIX.get(path.suffix.lower(), "json")


def file_name(name: str) -> str:
    return OUTPUT_FILES.get(name, f"trustscan.{name}")


def parse_emit(values: Iterable[str]) -> tuple[str, ...]:
    """`--emit sarif --emit junit,markdown` -> ("sarif", "junit", "markdown"); ValueError if unknown."""
    names: list[str] = []
    for value in values:
        for name in (part.strip().lower() for part in value.split(",")):
            if not name:
                continue
            if name not in FORMATS:
                raise ValueError(f"unknown format {name!r} for --emit; choose from {', '.join(sorted(FORMATS))}")
            if name not in names:
                names.append(name)
    return tuple(names)


def write_outputs(report: Mapping[str, Any], catalog: Catalog, directory: Path, names: Iterable[str], *,
                  verbose: bool = False) -> list[Path]:
    """Render and write each format; returns the paths written. Raises OSError on I/O failure."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        text = render(name, report, catalog, verbose=verbose)
        if name == "console":
            text = click.unstyle(text)  # a file is not a terminal: no colour escapes
        path = directory / file_name(name)
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    return written
