"""Every file option of every command x every kind of wrong file (issue 9, item 2): exit 2, one line, at once.

A FIFO (no writer ever comes), a symlink to /dev/zero (an endless file), a directory, an empty file,
a binary file and an oversize (sparse) file must each end in exit 2 and exactly one stderr line,
within seconds and bounded memory; never a hang, `internal error`, a traceback or exit 0/1/3.

FIFOs, directories, empty and binary files run in this process (CliRunner, a SIGALRM guard against a
hang). /dev/zero and oversize files, which a regression would read until memory runs out, run in one
child process under RLIMIT_AS (1.5 GB); a few cases of each kind also run as real `trustscan`
processes, exactly as a user would.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.input_files import Hung, within
from tests.support.publish_samples import sample_report
from trustscan.cli.main import main
from trustscan.publish.attestation import envelope_bytes, sign_report

MEMORY_LIMIT = 1536 * 1024 * 1024
#: Larger than every cap (the largest is 64 MiB) and than MEMORY_LIMIT: reading it whole cannot succeed.
OVERSIZE = 3 * 1024**3
KINDS = ("fifo", "devzero", "directory", "empty", "binary", "oversize")
IN_PROCESS = ("fifo", "directory", "empty", "binary")
UNDER_LIMIT = ("devzero", "oversize")
_AUDIT = ["audit", "https://127.0.0.1:9/", "--allow-private", "--timeout", "5"]

#: Every file option: its command line, with {} for the file under test and {tmp} for a scratch folder.
OPTIONS: dict[str, list[str]] = {
    "audit --ca-bundle": [*_AUDIT, "--ca-bundle", "{}"],
    "audit --blocklist": [*_AUDIT, "--blocklist", "{}"],
    "audit --sign-key": [*_AUDIT, "-o", "{tmp}/signed.json", "--sign-key", "{}"],
    "audit --passphrase-file": [*_AUDIT, "-o", "{tmp}/signed.json", "--sign-key", "{in}/encrypted.pem",
                                "--passphrase-file", "{}"],
    "audit --policy": [*_AUDIT, "--policy", "{}"],
    "audit --baseline": [*_AUDIT, "--baseline", "{}"],
    "audit --declaration": [*_AUDIT, "--declaration", "{}"],
    "bulk PORTFOLIO": ["bulk", "--db", "{tmp}/r.db", "--allow-private", "--timeout", "5", "{}"],
    "bulk --db": ["bulk", "--db", "{}", "--allow-private", "--timeout", "5", "{in}/portfolio.csv"],
    "bulk --ca-bundle": ["bulk", "--db", "{tmp}/r.db", "--allow-private", "--ca-bundle", "{}", "{in}/portfolio.csv"],
    "bulk --blocklist": ["bulk", "--db", "{tmp}/r.db", "--allow-private", "--blocklist", "{}", "{in}/portfolio.csv"],
    "monitor PORTFOLIO": ["monitor", "--db", "{tmp}/r.db", "--every", "1h", "--rounds", "1", "--allow-private",
                          "--timeout", "5", "{}"],
    "monitor --db": ["monitor", "--db", "{}", "--every", "1h", "--rounds", "1", "--allow-private", "--timeout", "5",
                     "{in}/portfolio.csv"],
    "monitor --ca-bundle": ["monitor", "--db", "{tmp}/r.db", "--every", "1h", "--allow-private", "--ca-bundle", "{}",
                            "{in}/portfolio.csv"],
    "monitor --blocklist": ["monitor", "--db", "{tmp}/r.db", "--every", "1h", "--allow-private", "--blocklist", "{}",
                            "{in}/portfolio.csv"],
    "portfolio DB": ["portfolio", "{}"],
    "publish DB": ["publish", "{}", "--site", "{tmp}/site"],
    "diff OLD": ["diff", "{}", "{in}/report.json"],
    "diff NEW": ["diff", "{in}/report.json", "{}"],
    "lists import FILE": ["lists", "import", "x", "{}", "--cache-dir", "{tmp}/cache"],
    "lists import --ca-bundle": ["lists", "import", "x", "https://127.0.0.1:9/l.txt", "--allow-private",
                                 "--cache-dir", "{tmp}/cache", "--ca-bundle", "{}"],
    "sign REPORT": ["sign", "{}", "--key", "{in}/key.pem", "-o", "{tmp}/out.json"],
    "sign --key": ["sign", "{in}/report.json", "--key", "{}", "-o", "{tmp}/out.json"],
    "sign --passphrase-file": ["sign", "{in}/report.json", "--key", "{in}/encrypted.pem", "--passphrase-file", "{}",
                               "-o", "{tmp}/out.json"],
    "verify FILE": ["verify", "{}", "--key", "{in}/key.pub"],
    "verify --key": ["verify", "{in}/signed.json", "--key", "{}"],
    "badge FILE": ["badge", "{}"],
    "badge --key": ["badge", "{in}/signed.json", "--key", "{}"],
    "report FILE": ["report", "{}"],
    "report --key": ["report", "{in}/signed.json", "--key", "{}"],
    "keygen --passphrase-file": ["keygen", "--passphrase-file", "{}", "{tmp}/new.pem"],
}
#: By design an existing empty file is a new results database (a `mktemp` path): bulk fills it.
LEGITIMATE = {("bulk --db", "empty"), ("monitor --db", "empty")}

CASES = [(option, kind) for option in OPTIONS for kind in KINDS if (option, kind) not in LEGITIMATE]


def make(kind: str, path: Path) -> Path:
    """The wrong file of *kind* at *path*."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "devzero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 16)
    else:
        with path.open("wb") as handle:
            handle.truncate(OVERSIZE)
    return path


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Valid files for every option not under test: a report, its signed declaration, keys, a portfolio."""
    if not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"):
        pytest.skip("needs FIFOs and /dev/zero")
    folder = tmp_path_factory.mktemp("good")
    key = Ed25519PrivateKey.generate()
    report = sample_report(lang="en")
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "signed.json").write_bytes(envelope_bytes(sign_report(report, key, now=datetime.now(UTC))))
    pem = serialization.PrivateFormat.PKCS8
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption()))
    (folder / "encrypted.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, pem, serialization.BestAvailableEncryption(b"secret")))
    for name in ("key.pem", "encrypted.pem"):
        (folder / name).chmod(0o600)
    (folder / "key.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    (folder / "portfolio.csv").write_text("target\n127.0.0.1:9\n")
    return folder


def argv_for(option: str, kind: str, good: Path, scratch: Path) -> tuple[list[str], Path]:
    """The command line of one case, with its wrong file made in *scratch*."""
    scratch.mkdir(parents=True, exist_ok=True)
    wrong = make(kind, scratch / f"wrong-{kind}")
    values = {"{}": str(wrong), "{tmp}": str(scratch), "{in}": str(good)}
    argv = []
    for part in OPTIONS[option]:
        for placeholder, value in values.items():
            part = part.replace(placeholder, value)
        argv.append(part)
    return argv, wrong


def run_in_process(argv: list[str], seconds: float = 10) -> tuple[int, str]:
    """(exit code, stderr) of `trustscan argv` run by CliRunner; a hang fails after *seconds*."""
    with within(seconds):
        result = CliRunner().invoke(main, argv)
    if isinstance(result.exception, Hung):
        raise result.exception
    return result.exit_code, result.stderr


def check(option: str, kind: str, code: int, stderr: str, wrong: Path) -> None:
    lines = stderr.strip().splitlines()
    assert code == 2, f"{option} x {kind}: exit {code}, stderr {stderr!r}"
    assert len(lines) == 1, f"{option} x {kind}: {len(lines)} stderr lines: {stderr!r}"
    line = lines[0]
    assert line.startswith("trustscan: error: "), line
    assert "internal error" not in line and "Traceback" not in line and len(line) < 400, line
    if kind not in ("empty", "binary"):  # those may be refused for what they hold, in the format's own words
        assert wrong.name in line, f"{option} x {kind}: the line does not name the file: {line}"


@pytest.mark.parametrize(("option", "kind"), [case for case in CASES if case[1] in IN_PROCESS])
def test_in_process(option: str, kind: str, good_inputs: Path, tmp_path: Path) -> None:
    argv, wrong = argv_for(option, kind, good_inputs, tmp_path)
    code, stderr = run_in_process(argv)
    check(option, kind, code, stderr, wrong)


# --- /dev/zero and oversize: one child process under a memory limit runs them all -----------------

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from tests.cli.test_input_matrix import run_in_process
results = []
for argv in json.load(sys.stdin):
    try:
        results.append(run_in_process(argv))
    except BaseException as exc:  # a hang or anything else is this case's failure, not the batch's
        results.append((-1, f"{{type(exc).__name__}}: {{exc}}"))
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def under_limit(good_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    scratch = tmp_path_factory.mktemp("limited")
    cases = [case for case in CASES if case[1] in UNDER_LIMIT]
    prepared = {case: argv_for(*case, good_inputs, scratch / f"{index}") for index, case in enumerate(cases)}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD.format(limit=MEMORY_LIMIT)],
        input=json.dumps([argv for argv, _ in prepared.values()]), capture_output=True, text=True, timeout=240,
        cwd=Path(__file__).parents[2], env={**os.environ, "TRUSTSCAN_CACHE_DIR": str(scratch / "cache")},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    results = json.loads(child.stdout.strip().splitlines()[-1])
    return {case: (*result, prepared[case][1]) for case, result in zip(cases, results, strict=True)}


@pytest.mark.parametrize(("option", "kind"), [case for case in CASES if case[1] in UNDER_LIMIT])
def test_under_a_memory_limit(option: str, kind: str, under_limit: dict[tuple[str, str], Any]) -> None:
    code, stderr, wrong = under_limit[option, kind]
    check(option, kind, code, stderr, wrong)


# --- a few cases as real processes, as a user runs them ---------------------------------------------

def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_process(argv: list[str], stdin: Any = subprocess.DEVNULL) -> tuple[int, str]:
    process = subprocess.run([sys.executable, "-m", "trustscan", *argv], stdin=stdin, capture_output=True,
                             text=True, timeout=30, preexec_fn=_limited)
    return process.returncode, process.stderr


@pytest.mark.parametrize(("option", "kind"), [
    ("report FILE", "devzero"), ("audit --policy", "fifo"), ("bulk PORTFOLIO", "oversize"),
    ("verify --key", "devzero"), ("lists import FILE", "fifo"), ("audit --blocklist", "binary"),
    ("sign --passphrase-file", "directory"), ("audit --ca-bundle", "empty"),
])
def test_real_processes(option: str, kind: str, good_inputs: Path, tmp_path: Path) -> None:
    argv, wrong = argv_for(option, kind, good_inputs, tmp_path)
    code, stderr = run_process(argv)
    check(option, kind, code, stderr, wrong)


def test_an_endless_stdin_is_cut_at_the_list_cap(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as endless:
        code, stderr = run_process(["lists", "import", "x", "-", "--cache-dir", str(tmp_path)], stdin=endless)
    assert code == 2 and stderr.strip().splitlines() == ["trustscan: error: - is larger than 64 MiB"], stderr


def test_the_matrix_covers_every_file_option() -> None:
    """A new file option must join the matrix: every click.Path parameter of every command is listed."""
    import click

    def file_options(command: click.Command, prefix: str) -> Iterator[str]:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from file_options(sub, f"{prefix} {name}".strip())
            return
        for param in command.params:
            if isinstance(param.type, click.Path) and param.type.file_okay and param.type.readable:
                name = param.opts[-1] if param.opts[-1].startswith("-") else param.human_readable_name
                yield f"{prefix} {name}"

    written = {"--output", "--public", "PRIVATE"}  # outputs: written, not read
    found = {option for option in file_options(main, "") if option.split()[-1] not in written}
    assert len(found) > 20 and found <= set(OPTIONS), f"file options missing from the matrix: {found - set(OPTIONS)}"
