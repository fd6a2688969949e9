"""One validation of every report a command is given (issue 9, item 4), signed ones included.

`report`, `badge`, `verify`, `sign`, `diff` and `audit --baseline` read report files through
trustscan.report.schema; a report inside a signed envelope gets the same check. A malformed one is
exit 2 naming the first problem by path and reason in one short line, before anything renders it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.publish_samples import sample_report
from trustscan.cli.main import main
from trustscan.core.errors import DocumentError, ReportFileError
from trustscan.publish.attestation import (
    PAYLOAD_TYPE,
    build_statement,
    canonical_json,
    envelope_bytes,
    sign_report,
)
from trustscan.publish.dsse import sign_envelope
from trustscan.report.schema import MAX_REPORT_DEPTH, check_report

NOW = datetime.now(UTC)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(report: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = report
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return mutate


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for _ in range(levels):
        node = {"x": node}
    return node


#: name -> (mutation, what the one error line must say)
MALFORMED = {
    "criterion is a list": (_set("criteria.a", []), "criteria/a: expected object, got array"),
    "empty verdict": (_set("verdicts.0", {}), "verdicts/0: missing required property 'rule_id'"),
    "unknown status": (_set("verdicts.0.status", "great"), "verdicts/0/status: 'great' is not one of"),
    "port as text": (_set("target.port", "443"), "target/port: expected integer, got string"),
    "huge value": (_set("criteria.b", ["y" * 100_000]), "criteria/b: expected object, got array"),
    "extra key": (_set("criteria.a.extra", 1), "criteria/a: unexpected property 'extra'"),
    "too deep": (_set("verdicts.0.observed", _deep(MAX_REPORT_DEPTH + 5)), "nested deeper than 64 levels"),
}


def malformed(name: str) -> dict[str, Any]:
    report = copy.deepcopy(_report())
    MALFORMED[name][0](report)
    return report


@cache
def _report() -> dict[str, Any]:
    return sample_report(lang="en")


@cache
def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _signed_anyway(report: dict[str, Any]) -> bytes:
    """An envelope whose signature is good but whose report breaks the schema (a careless or hostile signer)."""
    statement = build_statement(report, NOW, 30)
    return envelope_bytes(sign_envelope(PAYLOAD_TYPE, canonical_json(statement), _key()).to_json())


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "k.pem", folder / "k.pub"
    private.write_bytes(_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, (result.exit_code, result.stderr)
    assert "internal error" not in lines[0] and len(lines[0]) < 400
    return str(lines[0])


@pytest.mark.parametrize("name", list(MALFORMED))
def test_the_validator_names_the_first_problem_in_a_few_words(name: str) -> None:
    with pytest.raises(ReportFileError) as refused:
        check_report(malformed(name))
    assert MALFORMED[name][1] in str(refused.value) and len(str(refused.value)) < 200


@pytest.mark.parametrize("name", ["criterion is a list", "empty verdict", "too deep"])
def test_every_command_refuses_a_malformed_plain_report(tmp_path: Path, keys: tuple[Path, Path], name: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(malformed(name)))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_report()))
    private, public = keys
    runner = CliRunner()
    for argv in (["report", str(path)], ["report", str(path), "--format", "console"], ["badge", str(path)],
                 ["sign", str(path), "--key", str(private), "-o", str(tmp_path / "out.json")],
                 ["verify", str(path), "--key", str(public)], ["diff", str(good), str(path)],
                 ["audit", "https://127.0.0.1:9/", "--allow-private", "--baseline", str(path)]):
        line = _one_line(runner.invoke(main, argv))
        assert str(path) in line, argv
        if argv[0] != "verify":  # verify first asks for an envelope
            assert MALFORMED[name][1] in line, (argv, line)
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("name", ["criterion is a list", "empty verdict", "too deep"])
def test_a_validly_signed_malformed_report_is_refused_before_rendering(tmp_path: Path, keys: tuple[Path, Path],
                                                                       name: str) -> None:
    path = tmp_path / "signed.json"
    path.write_bytes(_signed_anyway(malformed(name)))
    _, public = keys
    runner = CliRunner()
    for argv in (["report", str(path)], ["report", str(path), "--key", str(public), "--format", "markdown"],
                 ["badge", str(path)], ["badge", str(path), "--key", str(public)],
                 ["verify", str(path), "--key", str(public)]):
        line = _one_line(runner.invoke(main, argv))
        assert "the signed report is not a trustscan report" in line and MALFORMED[name][1] in line, (argv, line)


def test_the_library_refuses_to_sign_a_malformed_report() -> None:
    with pytest.raises(DocumentError, match="criteria/a: expected object"):
        sign_report(malformed("criterion is a list"), _key(), now=NOW)


def test_a_number_that_would_not_read_back_is_refused_at_signing() -> None:
    report = copy.deepcopy(_report())
    report["verdicts"][0]["observed"] = {"size": 2.0**53}  # written as 9007199254740992, an unsafe integer
    with pytest.raises(DocumentError, match="canonicalised"):
        sign_report(report, _key(), now=NOW)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
_PATHS = st.sampled_from(["criteria.a", "criteria.dd.counts", "verdicts.0", "verdicts.0.observed", "target",
                          "target.port", "evidence", "tool", "verdicts.1.references", "criteria"])


@settings(max_examples=200, deadline=None)
@given(_PATHS, _JSON)
def test_fuzz_a_report_with_any_value_anywhere(path: str, value: Any) -> None:
    """Valid, or one short ReportFileError naming a path: never another exception, never a long line."""
    report = copy.deepcopy(_report())
    _set(path, value)(report)
    try:
        check_report(report)
    except ReportFileError as refused:
        assert str(refused).startswith("not a trustscan report (") and len(str(refused)) < 300


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_fuzz_any_json_document(value: Any) -> None:
    with pytest.raises(ReportFileError):
        check_report(value)
