"""The owner's declaration: schema validation, file hygiene, the pseudo-probe and `trustscan declare`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tests.support.input_files import KINDS, refused_file, within
from trustscan.cli.main import main
from trustscan.collect.declaration import declaration_attempt
from trustscan.core.errors import DeclarationError
from trustscan.core.models import AttemptStatus
from trustscan.owner.declaration import (
    MAX_FILE_BYTES,
    declaration_schema,
    dump_declaration,
    load_declaration,
    parse_declaration,
)

TODAY = dt.date(2026, 11, 22)


def document(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "1.0",
        "organisation": "Sở Thông tin và Truyền thông tỉnh Hà Giang",
        "system": "Cổng thông tin điện tử tỉnh",
        "sites": ["www.hagiang.gov.vn", "bộ-công-an.trustscan.test"],
        "security_level": 3,
        "approval": {"number": "123/QĐ-UBND", "date": "2025-03-01", "issuer": "UBND tỉnh Hà Giang"},
        "last_assessment": "2026-01-15",
        "privacy_commitment": {"statement": "Chỉ thu thập dữ liệu cá nhân khi được người dùng đồng ý.",
                               "signed_by": "Nguyễn Văn A, Giám đốc", "signed_on": "2026-02-01"},
        "security_contact": "mailto:security@hagiang.gov.vn",
    }
    return {**base, **overrides}


def test_a_valid_declaration_is_typed_and_normalised() -> None:
    declaration = parse_declaration(document(), today=TODAY)
    assert declaration.security_level == 3
    assert declaration.approval.date == dt.date(2025, 3, 1)
    assert declaration.sites == ("www.hagiang.gov.vn", "xn--b-cng-an-63a1467e.trustscan.test")
    # The document form is itself valid against the committed schema.
    jsonschema.validate(declaration.to_json(), declaration_schema(), format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"security_level": 6}, "security_level"),
        ({"security_level": "3"}, "security_level"),
        ({"security_level": True}, "security_level"),
        ({"organisation": "   "}, "organisation"),
        ({"sites": []}, "sites"),
        ({"sites": ["not a host"]}, "sites"),
        ({"security_contact": "security@example.vn"}, "security_contact"),
        ({"security_contact": "javascript:alert(1)"}, "security_contact"),
        ({"approval": {"number": "1", "date": "2025-02-30", "issuer": "x"}}, "approval/date"),
        ({"approval": {"number": "1", "date": "2025-02-01"}}, "approval"),
        ({"last_assessment": "2027-01-01"}, "in the future"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_declarations_are_refused_in_one_line(overrides: dict[str, Any], needle: str) -> None:
    with pytest.raises(DeclarationError) as caught:
        parse_declaration(document(**overrides), today=TODAY)
    message = str(caught.value)
    assert needle in message and "\n" not in message and len(message) <= 200


def test_round_trip_through_yaml_file(tmp_path: Path) -> None:
    declaration = parse_declaration(document(), today=TODAY)
    path = tmp_path / "d.yaml"
    path.write_text(dump_declaration(declaration), encoding="utf-8")
    assert "Sở Thông tin" in path.read_text(encoding="utf-8")  # Unicode kept readable, not escaped
    assert load_declaration(path, today=TODAY) == declaration


def test_bare_yaml_dates_are_accepted(tmp_path: Path) -> None:
    text = yaml.safe_dump(document()).replace("'2025-03-01'", "2025-03-01")
    assert "date: 2025-03-01" in text
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_declaration(path, today=TODAY).approval.date == dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"a: [1, 2", "not valid YAML"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"- just\n- a list\n", "invalid declaration"),
        (b"x" * (64 * 1024 + 1), "larger than"),
        # An alias bomb: refused before anything expands it.
        (b"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n", "aliases"),
    ],
)
def test_hostile_or_broken_files_fail_cleanly(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_bytes(content)
    with pytest.raises(DeclarationError) as caught:
        load_declaration(path, today=TODAY)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_missing_file_is_a_declaration_error(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError, match="cannot read"):
        load_declaration(tmp_path / "nope.yaml", today=TODAY)


def test_pseudo_probe_facts() -> None:
    declaration = parse_declaration(document(), today=TODAY)
    now = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    attempt = declaration_attempt(declaration, "WWW.hagiang.gov.vn", now)
    assert attempt.status is AttemptStatus.COMPLETED and attempt.data is not None
    assert attempt.data["covers_target"] is True
    assert attempt.data["assessment_age_days"] == (TODAY - dt.date(2026, 1, 15)).days
    assert declaration_attempt(declaration, "other.gov.vn", now).data["covers_target"] is False  # type: ignore[index]
    missing = declaration_attempt(None, "www.hagiang.gov.vn", now)
    assert missing.status is AttemptStatus.SKIPPED and "trustscan declare" in (missing.error or "")


# --- the command line ---------------------------------------------------------------------------

FLAGS = ["--organisation", "Sở TT&TT", "--system", "Cổng TTĐT", "--site", "good.trustscan.test",
         "--security-level", "3", "--approval-number", "123/QĐ-UBND", "--approval-date", "2025-03-01",
         "--approval-issuer", "UBND tỉnh", "--last-assessment", "2026-01-15", "--signed-by", "Nguyễn Văn A",
         "--security-contact", "mailto:security@good.trustscan.test"]


def trustscan(*args: str) -> Any:
    """In-process CLI run (stdin is not a terminal, as in CI); exit code and stderr as a user sees them."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    result.returncode = result.exit_code
    return result


def test_declare_is_registered_on_the_real_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "trustscan", "declare", "--help"], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONWARNINGS": "default"})
    assert result.returncode == 0 and "--security-level" in result.stdout


def assert_one_line_error(result: Any, needle: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: ") and needle in lines[0], result.stderr


def test_declare_from_flags_writes_a_schema_valid_file(tmp_path: Path) -> None:
    out = tmp_path / "decl.yaml"
    result = trustscan("declare", "-o", str(out), *FLAGS, "--lang", "en")
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    jsonschema.validate(written, declaration_schema(), format_checker=jsonschema.FormatChecker())
    assert written["security_level"] == 3 and written["sites"] == ["good.trustscan.test"]
    assert "consent" in written["privacy_commitment"]["statement"]  # the default statement, in --lang
    # A second run refuses to overwrite; --force does.
    assert_one_line_error(trustscan("declare", "-o", str(out), *FLAGS), "--force")
    assert trustscan("declare", "-o", str(out), *FLAGS, "--force").returncode == 0


def test_declare_without_a_terminal_names_the_missing_flags(tmp_path: Path) -> None:
    result = trustscan("declare", "-o", str(tmp_path / "d.yaml"), "--organisation", "X")
    assert_one_line_error(result, "--security-level")
    assert not (tmp_path / "d.yaml").exists()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (["--security-level", "7"], "security-level"),
        (["--approval-date", "01/03/2025"], "approval/date"),
        (["--security-contact", "security at example"], "security_contact"),
        (["--site", "bad host name"], "sites"),
    ],
)
def test_declare_rejects_bad_values(tmp_path: Path, change: list[str], needle: str) -> None:
    flags = list(FLAGS)
    if change[0] != "--site":
        flags[flags.index(change[0]) + 1] = change[1]
    else:
        flags[flags.index("--site") + 1] = change[1]
    assert_one_line_error(trustscan("declare", "-o", str(tmp_path / "d.yaml"), *flags), needle)


def test_audit_refuses_a_bad_declaration_before_scanning(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(json.dumps(document(security_level=9)), encoding="utf-8")
    assert_one_line_error(trustscan("audit", "example.invalid", "--declaration", str(bad)), "security_level")
    assert_one_line_error(trustscan("audit", "example.invalid", "--declaration", str(tmp_path / "none.yaml")),
                          "cannot read")


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_declaration_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "d.yaml", MAX_FILE_BYTES)
    needle = "not a regular file" if kind == "fifo" else "larger than 64 KiB"
    with within(5), pytest.raises(DeclarationError, match=needle):
        load_declaration(path, today=TODAY)
    with within(5):
        assert_one_line_error(trustscan("audit", "example.invalid", "--declaration", str(path)), needle)
