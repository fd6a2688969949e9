"""The one reader of saved report files: capped read, JSON, then the report schema.

Every command that takes a report from disk comes through here: `sign`, `verify`, `report`,
`badge`, `diff` and `audit --baseline`. A file holds either a report or a DSSE envelope that claims
to hold one; this module reads both, validates a plain report against
`reports/schema/report.schema.json`, and hands an envelope on unopened: opening and checking it
is `trustscan.publish.attestation`'s job, which holds the report inside to the same
:func:`check_report` before anything renders it: a signature never makes its content trusted.
:func:`check_report` caps the nesting depth too (MAX_REPORT_DEPTH), and its message names the
first problem by path and reason in a few words, never by repeating the value.

Errors are :class:`ReportFileError` (a :class:`DocumentError`), one line each; the path-level
functions put the file's path in front.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trustscan.core.errors import ReportFileError
from trustscan.core.schemaerrors import describe_violation, json_path
from trustscan.net.files import read_input_file

__all__ = [
    "MAX_REPORT_BYTES",
    "ReportFile",
    "check_report",
    "check_report_shape",
    "is_envelope",
    "load_report_file",
    "parse_json",
    "parse_report_file",
    "read_report",
    "read_report_bytes",
    "report_schema",
]

#: A report is tens of KiB; refuse to parse anything absurd (an envelope adds a third for base64).
MAX_REPORT_BYTES = 64 * 1024 * 1024
_TOO_LARGE = f"larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB; not a trustscan report"
_REPORT_KEYS = ("schema_version", "tool", "target", "overall", "criteria", "verdicts")
#: A report nests about 8 levels (evidence > probe > data > certificate > chain > ...); 64 is generous.
MAX_REPORT_DEPTH = 64
_MAX_ERRORS_RANKED = 50  # best_match ranks the first problems found, not every one of a huge document


@dataclass(frozen=True)
class ReportFile:
    """A report file as read: its report (schema-checked) or the DSSE envelope holding one (unopened)."""

    data: bytes
    report: dict[str, Any] | None = None
    envelope: Mapping[str, Any] | None = None


def report_schema() -> dict[str, Any]:
    """The committed JSON Schema of the report."""
    path = resources.files("trustscan.reports").joinpath("schema", "report.schema.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def _validator() -> Any:
    import jsonschema  # only commands that read a report file pay for the validator's import

    return jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker())


def check_report(value: Any) -> dict[str, Any]:
    """*value* if it is a trustscan report by the schema; else ReportFileError naming the first problem."""
    import itertools

    import jsonschema.exceptions

    deep = _too_deep(value, MAX_REPORT_DEPTH)
    if deep is not None:
        raise ReportFileError(
            f"not a trustscan report ({json_path(deep)}: nested deeper than {MAX_REPORT_DEPTH} levels)")
    errors = itertools.islice(_validator().iter_errors(value), _MAX_ERRORS_RANKED)
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        raise ReportFileError(f"not a trustscan report ({describe_violation(error)})")
    return dict(value)


def _too_deep(value: Any, limit: int) -> list[str | int] | None:
    """The path of the first value nested deeper than *limit* levels, or None (iterative, O(1) per value)."""
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]  # (value, depth, (key, parent trail) or None)
    while stack:
        item, depth, trail = stack.pop()
        if depth > limit:
            path: list[str | int] = []
            while trail is not None:
                key, trail = trail
                path.append(key)
            return [*path[::-1][:8], "…"]
        if isinstance(item, Mapping):
            stack.extend((child, depth + 1, (str(key), trail)) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, depth + 1, (index, trail)) for index, child in enumerate(item))
    return None


def check_report_shape(value: Any) -> None:
    """Refuse *value* unless it has what a statement's subject and the renderers need (see module doc)."""
    if not isinstance(value, Mapping) or any(key not in value for key in _REPORT_KEYS):
        raise ReportFileError("not a trustscan report: expected the keys " + ", ".join(_REPORT_KEYS))
    target = value["target"]
    if not isinstance(target, Mapping) or not isinstance(target.get("ascii_host"), str) \
            or not isinstance(target.get("port"), int):
        raise ReportFileError("not a trustscan report: target.ascii_host and target.port are required")
    if not isinstance(value["criteria"], Mapping) or not isinstance(value["verdicts"], list):
        raise ReportFileError("not a trustscan report: criteria must be an object and verdicts a list")


def parse_json(data: bytes) -> Any:
    """The JSON value of *data* (at most MAX_REPORT_BYTES, UTF-8 as RFC 8259 asks); ReportFileError otherwise."""
    if len(data) > MAX_REPORT_BYTES:
        raise ReportFileError(_TOO_LARGE)
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ReportFileError(f"not JSON: {' '.join(str(exc).split())[:200]}") from None


def is_envelope(value: Any) -> bool:
    """Whether *value* presents itself as a DSSE envelope (a signed declaration) rather than a report."""
    return isinstance(value, Mapping) and "payloadType" in value


def parse_report_file(data: bytes) -> ReportFile:
    """A plain report, checked against the schema, or an envelope, handed on unopened."""
    value = parse_json(data)
    if is_envelope(value):
        return ReportFile(data, envelope=value)
    return ReportFile(data, report=check_report(value))


def read_report_bytes(path: Path) -> bytes:
    """The bytes of the regular file at *path*, at most MAX_REPORT_BYTES (trustscan.net.files reads it)."""
    return read_input_file(path, MAX_REPORT_BYTES, ReportFileError, what=f"report {path}",
                           too_large=f"{path}: {_TOO_LARGE}")


def load_report_file(path: Path) -> ReportFile:
    """The report file at *path*: a checked report or an unopened envelope; errors name the path."""
    data = read_report_bytes(path)
    try:
        return parse_report_file(data)
    except ReportFileError as exc:
        raise ReportFileError(f"{path}: {exc}") from None


def read_report(path: Path) -> dict[str, Any]:
    """The plain report at *path* (what `diff` and `--baseline` compare); a signed declaration is refused."""
    loaded = load_report_file(path)
    if loaded.report is None:
        raise ReportFileError(f"{path}: not a trustscan report (a signed declaration; give the plain JSON report)")
    return loaded.report
