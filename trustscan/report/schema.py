"""The one reader of saved report files: capped read, JSON, then the report schema.

Every command that takes a report from disk comes through here: `sign`, `verify`, `report`,
`badge`, `diff` and `audit --baseline`. A file holds either a report or a DSSE envelope that claims
to hold one; this module reads both, validates a plain report against
`reports/schema/report.schema.json`, and hands an envelope on unopened: opening and checking it
is `trustscan.publish.attestation`'s job. A report inside a signature is whatever its signer
signed, so it is held only to :func:`check_report_shape` (the fields the statement's subject and
every renderer rely on) and rendered defensively; a signature never makes its content trusted.

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

    return jsonschema.Draft202012Validator(report_schema())


def check_report(value: Any) -> dict[str, Any]:
    """*value* if it is a trustscan report by the schema; else ReportFileError naming the first problem."""
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_validator().iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ReportFileError(f"not a trustscan report ({where}: {' '.join(error.message.split())[:200]})")
    return dict(value)


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
