"""keygen, sign, verify, badge and report as users run them, and verification with openssl alone."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.input_files import KINDS, refused_file, within
from tests.support.publish_samples import sample_report
from trustscan.cli.main import main
from trustscan.cli.signing import MAX_PASSPHRASE_FILE_BYTES
from trustscan.publish.attestation import envelope_bytes, sign_report
from trustscan.publish.keys import load_private_key

OPENSSL = shutil.which("openssl")


def trustscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process (the machine's import time would dominate as subprocesses); stdin is not a TTY."""
    runner = CliRunner()
    with contextlib.chdir(cwd or Path.cwd()):
        result = runner.invoke(main, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def trustscan_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as a process with stdin closed: nothing may wait for input."""
    return subprocess.run([sys.executable, "-m", "trustscan", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, stdin=subprocess.DEVNULL)


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair, a plain report, and its signed declaration, made through the CLI."""
    root = tmp_path_factory.mktemp("publish")
    (root / "report.json").write_text(json.dumps(sample_report(), ensure_ascii=False), encoding="utf-8")
    assert trustscan("keygen", "key.pem", cwd=root).returncode == 0
    result = trustscan("sign", "report.json", "--key", "key.pem", "-o", "signed.json", cwd=root)
    assert result.returncode == 0, result
    return root


def test_keygen_writes_a_0600_key_never_overwrites_and_never_waits_for_stdin(workdir: Path) -> None:
    assert stat.S_IMODE((workdir / "key.pem").stat().st_mode) == 0o600
    assert (workdir / "key.pem.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = (workdir / "key.pem").read_bytes()
    assert "refusing to overwrite" in one_line_error(trustscan_process("keygen", "key.pem", cwd=workdir), 2)
    assert (workdir / "key.pem").read_bytes() == before


def test_keygen_with_a_passphrase_file(tmp_path: Path) -> None:
    (tmp_path / "pass.txt").write_text("correct horse\n")
    result = trustscan("keygen", "k.pem", "--public", "k.pub", "--passphrase-file", "pass.txt", "--lang", "en",
                       cwd=tmp_path)
    assert result.returncode == 0 and "key id SHA256:" in result.stdout
    assert load_private_key(tmp_path / "k.pem", b"correct horse")
    (tmp_path / "r.json").write_text(json.dumps(sample_report()))
    # Encrypted key, no passphrase, no terminal: a one-line error, never a hanging prompt.
    message = one_line_error(trustscan_process("sign", "r.json", "--key", "k.pem", "-o", "s.json", cwd=tmp_path), 2)
    assert "passphrase" in message
    ok = trustscan("sign", "r.json", "--key", "k.pem", "-o", "s.json", "--passphrase-file", "pass.txt", cwd=tmp_path)
    assert ok.returncode == 0, ok
    assert trustscan("verify", "s.json", "--key", "k.pub", cwd=tmp_path).returncode == 0


def test_verify_valid_prints_who_what_where_when(workdir: Path) -> None:
    result = trustscan("verify", "signed.json", "--key", "key.pem.pub", "--lang", "en", cwd=workdir)
    assert result.returncode == 0, result
    out = result.stdout
    assert out.startswith("VALID: the signature matches key SHA256:")
    assert "Site: https://xn--cng-qmz.example.gov.vn/" in out and "Declared by: not named" in out
    assert re.search(r"Result: incomplete \(0/6 criteria met", out)
    assert "Scanned: 2026-03-01T08:00:00Z" in out and "Declared: " in out and "Valid until: " in out
    digest = hashlib.sha256((workdir / "signed.json").read_bytes()).hexdigest()
    assert f"SHA-256 of the signed file: {digest}" in out


def test_verify_flipped_byte_swapped_key_expired_malformed(workdir: Path, tmp_path: Path) -> None:
    signed = (workdir / "signed.json").read_bytes()
    envelope = json.loads(signed)
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[len(payload) // 2] ^= 0x20
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    (tmp_path / "flipped.json").write_text(json.dumps(envelope))
    flipped = trustscan("verify", str(tmp_path / "flipped.json"), "--key", "key.pem.pub", "--lang", "en", cwd=workdir)
    assert flipped.returncode == 1 and "INVALID: the signature does not match" in flipped.stdout

    assert trustscan("keygen", str(tmp_path / "other.pem"), cwd=workdir).returncode == 0
    swapped = trustscan("verify", "signed.json", "--key", str(tmp_path / "other.pem.pub"), cwd=workdir)
    assert swapped.returncode == 1 and "khóa khác" in swapped.stdout

    old = sign_report(sample_report(), load_private_key(workdir / "key.pem"),
                      now=datetime.now(UTC) - timedelta(days=100), valid_days=90)
    (tmp_path / "old.json").write_bytes(envelope_bytes(old))
    expired = trustscan("verify", str(tmp_path / "old.json"), "--key", "key.pem.pub", "--lang", "en", cwd=workdir)
    assert expired.returncode == 4 and expired.stdout.startswith("EXPIRED: the signature matches")

    (tmp_path / "junk.json").write_text("{not json")
    one_line_error(trustscan("verify", str(tmp_path / "junk.json"), "--key", "key.pem.pub", cwd=workdir), 2)
    one_line_error(trustscan("verify", "report.json", "--key", "key.pem.pub", cwd=workdir), 2)
    one_line_error(trustscan("verify", "signed.json", "--key", "key.pem", cwd=workdir), 2)  # private, not public
    one_line_error(trustscan("verify", "missing.json", "--key", "key.pem.pub", cwd=workdir), 2)


def test_sign_refuses_to_sign_twice_and_audit_needs_output(workdir: Path) -> None:
    assert "already a signed" in one_line_error(
        trustscan("sign", "signed.json", "--key", "key.pem", "-o", "x.json", cwd=workdir), 2)
    assert "--sign-key needs -o" in one_line_error(
        trustscan("audit", "example.vn", "--sign-key", "key.pem", cwd=workdir), 2)


def test_badge_and_report_commands(workdir: Path, tmp_path: Path) -> None:
    svg = trustscan("badge", "signed.json", "-o", str(tmp_path / "b.svg"), cwd=workdir)
    assert svg.returncode == 0 and (tmp_path / "b.svg").read_text().startswith("<svg")
    shields = json.loads(trustscan("badge", "signed.json", "--format", "shields", "--lang", "en", cwd=workdir).stdout)
    assert shields["label"] == "Network trust" and shields["color"] == "orange"
    assert "--report-url" in one_line_error(trustscan("badge", "signed.json", "--format", "embed", cwd=workdir), 2)
    assert "signed declaration" in one_line_error(
        trustscan("badge", "report.json", "--format", "embed", "--report-url", "https://x.vn/r.html", cwd=workdir), 2)
    embed = trustscan("badge", "signed.json", "--format", "embed", "--report-url", "https://x.vn/r.html", cwd=workdir)
    assert embed.returncode == 0 and "https://x.vn/r.html" in embed.stdout
    html = trustscan("report", "signed.json", "--key", "key.pem.pub", "-o", str(tmp_path / "r.html"), cwd=workdir)
    assert html.returncode == 0, html
    page = (tmp_path / "r.html").read_text()
    assert "Chữ ký đã được kiểm tra" in page  # when the page was made, and again in the browser:
    assert 'id="trustscan-envelope"' in page and 'id="trustscan-public-key"' in page
    assert trustscan("report", "report.json", "--format", "json", cwd=workdir).stdout.startswith("{")
    (tmp_path / "other").mkdir()
    assert trustscan("keygen", str(tmp_path / "other" / "k.pem"), cwd=workdir).returncode == 0
    refused = trustscan("report", "signed.json", "--key", str(tmp_path / "other" / "k.pem.pub"), cwd=workdir)
    assert refused.returncode == 1 and "KHÔNG HỢP LỆ" in refused.stderr


# --- interoperability: anyone can check a declaration with openssl ---------------------------------

def spec_pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 PAE written out from the specification, independently of trustscan.publish.dsse."""
    return b"DSSEv1 " + str(len(payload_type)).encode() + b" " + payload_type.encode() + b" " + \
        str(len(payload)).encode() + b" " + payload


@pytest.mark.skipif(OPENSSL is None and os.environ.get("CI", "").lower() != "true", reason="openssl not installed")
def test_openssl_verifies_a_trustscan_envelope(workdir: Path, tmp_path: Path) -> None:
    envelope = json.loads((workdir / "signed.json").read_bytes())
    payload = base64.b64decode(envelope["payload"])
    (tmp_path / "pae.bin").write_bytes(spec_pae(envelope["payloadType"], payload))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    command = [OPENSSL or "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(workdir / "key.pem.pub"),
               "-rawin", "-in", str(tmp_path / "pae.bin"), "-sigfile", str(tmp_path / "sig.bin")]
    good = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good
    tampered = bytearray(spec_pae(envelope["payloadType"], payload))
    tampered[-10] ^= 0x01
    (tmp_path / "pae.bin").write_bytes(bytes(tampered))
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "Signature Verification Failure" in bad.stdout, bad


@pytest.mark.skipif(shutil.which("jq") is None or OPENSSL is None, reason="jq or openssl not installed")
def test_the_recipe_printed_in_the_html_report_works(workdir: Path, tmp_path: Path) -> None:
    """The shell commands the public page tells readers to run, run verbatim."""
    html = trustscan("report", "signed.json", "--lang", "en", cwd=workdir).stdout
    recipe = unescape(re.findall(r"<pre>(.*?)</pre>", html, re.S)[1])
    assert "openssl pkeyutl" in recipe
    shutil.copy(workdir / "signed.json", tmp_path / "signed.json")
    shutil.copy(workdir / "key.pem.pub", tmp_path / "public.pem")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result
    assert "Signature Verified Successfully" in result.stdout
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", KINDS)
def test_a_fifo_or_oversize_passphrase_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "pass.txt", MAX_PASSPHRASE_FILE_BYTES)
    with within(5):
        result = trustscan("keygen", "k.pem", "--passphrase-file", str(path), cwd=tmp_path)
    reason = "not a regular file" if kind == "fifo" else "larger than"
    assert f"cannot read {path}: {reason}" in one_line_error(result, 2)
    assert not (tmp_path / "k.pem").exists()
