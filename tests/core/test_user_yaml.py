"""The one loader of the YAML users write (issue 9, item 3): policy and declaration files.

No anchors or aliases (a 409-byte alias bomb once printed a 250 MB error line and used over 1 GB),
bounded nesting, real dates only, and no message repeating more than a short excerpt of a value.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustscan.ci.policy import parse_policy
from trustscan.core.errors import PolicyError, YamlInputError
from trustscan.core.useryaml import MAX_USER_YAML_DEPTH, load_user_yaml
from trustscan.core.yamldata import MAX_EXCERPT, excerpt


def alias_bomb(top_key: str = "criteria") -> bytes:
    """Nine levels of nine aliases each: ~409 bytes of YAML, 9**9 (387 million) strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    lines.append(f"{top_key}: *i")
    return ("\n".join(lines) + "\n").encode()


def test_the_bomb_is_the_size_the_issue_reports() -> None:
    assert 380 <= len(alias_bomb()) <= 440


@pytest.mark.parametrize(("text", "needle"), [
    ("a: &x 1\n", "anchors (&name) and aliases (*name) are not allowed (line 1, column 4)"),
    ("a: [1]\nb: *x\n", "anchors (&name) and aliases"),
    ("expires: 2026-02-30\n", "'2026-02-30' is not a real date (day is out of range for month) (line 1"),
    ("expires: 2026-13-01\n", "is not a real date"),
    ("a: " + "[" * (MAX_USER_YAML_DEPTH + 1) + "]" * (MAX_USER_YAML_DEPTH + 1) + "\n", "nested deeper than"),
    ("a: !!python/object/apply:os.system [echo]\n", "could not determine a constructor"),
    ("a: !!int 0x" + "Z" * 10_000 + "\n", "malformed value (invalid literal"),
    ("a: !!int\n", "malformed value (string index out of range)"),  # found by the fuzz test below
    ("{[1]: 2}\n", "unhashable key"),
    ("a: [1, 2\n", "expected ',' or ']'"),
])
def test_refusals_are_one_short_line(text: str, needle: str) -> None:
    with pytest.raises(YamlInputError) as refused:
        load_user_yaml(text)
    message = str(refused.value)
    assert needle in message and "\n" not in message and len(message) <= 2 * MAX_EXCERPT + 30


def test_plain_documents_load_as_before() -> None:
    text = "version: 1\nwaivers:\n  - {rule: c.tls.tls13, reason: r, expires: 2026-02-28}\n"
    assert load_user_yaml(text)["waivers"][0]["expires"] == dt.date(2026, 2, 28)
    # The mapping, the sequences and the scalar each count as a level.
    deep_enough = "a: " + "[" * (MAX_USER_YAML_DEPTH - 2) + "1" + "]" * (MAX_USER_YAML_DEPTH - 2)
    assert load_user_yaml(deep_enough) is not None


def test_an_alias_bomb_is_refused_before_anything_expands_it() -> None:
    started = time.monotonic()
    with pytest.raises(YamlInputError, match="aliases"):
        load_user_yaml(alias_bomb().decode())
    assert time.monotonic() - started < 1


def test_excerpts_are_capped_and_cheap() -> None:
    assert excerpt("x" * 10_000).endswith("…") and len(excerpt("x" * 10_000)) == MAX_EXCERPT
    assert excerpt(list(range(10**6))) == "<list of 1000000 items>"
    assert excerpt("a\nb") == "'a\\nb'" and excerpt("c.tls", quoted=False) == "c.tls"


@pytest.mark.parametrize(("text", "needle"), [
    ("criteria: [" + "x" * 100_000 + "]\n", "unknown criterion 'xxxx"),
    ("min_severity: " + "y" * 100_000 + "\n", "min_severity: must be one of"),
    ("waivers:\n  - {rule: c.tls.tls13, reason: r, expires: '" + "9" * 50_000 + "'}\n", "expected a date"),
    ("waivers:\n  - {rule: c.tls.tls13, reason: r, expires: 2026-02-30}\n", "is not a real date"),
])
def test_policy_messages_echo_only_an_excerpt(text: str, needle: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(text, "p.yaml", {"c.tls.tls13"})
    assert needle in str(refused.value) and len(str(refused.value)) < 300


def _limited_memory() -> None:  # runs in the child: a bomb that expands dies here instead of the machine
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024,) * 2)


@pytest.mark.parametrize("option", ["--policy", "--declaration"])
@pytest.mark.parametrize("case", ["alias bomb", "impossible date", "too deep"])
def test_cli_refuses_hostile_yaml_fast_in_one_short_line(tmp_path: Path, option: str, case: str) -> None:
    path = tmp_path / "file.yaml"
    path.write_bytes({
        "alias bomb": alias_bomb("criteria" if option == "--policy" else "organisation"),
        "impossible date": b"waivers:\n  - {rule: c.tls.tls13, reason: r, expires: 2026-02-30}\n",
        "too deep": b"criteria: " + b"[" * 50 + b"]" * 50 + b"\n",
    }[case])
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "trustscan", "audit", "https://127.0.0.1:9/", "--allow-private", option, str(path)],
        capture_output=True, timeout=30, preexec_fn=_limited_memory, env={**os.environ, "TRUSTSCAN_DEBUG": ""},
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400 and "internal error" not in lines[0], result.stderr
    assert "not valid YAML" in lines[0]
    assert time.monotonic() - started < 20


_YAML_PIECES = st.sampled_from([*"ab:-[]{},&*!?|>'\"#\n ", "  ", "2026-02-30", "2026-09-30", "waivers:", "- ",
                                "rule: c.tls.tls13", "criteria:", "!!binary", "!!int", "&x", "*x", "<<: ", "~",
                                "0x1F", "1e400", ".nan", "version: 1", "\t", "\u00a0", "\ufeff"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=60).map("".join))
def test_fuzz_the_user_yaml_loader_and_the_policy(text: str) -> None:
    """Whatever the text, a value or one short refusal line: never another exception."""
    try:
        load_user_yaml(text)
    except YamlInputError as refused:
        assert "\n" not in str(refused) and len(str(refused)) <= 2 * MAX_EXCERPT + 30
    try:
        parse_policy(text, "p.yaml", {"c.tls.tls13"})
    except PolicyError as refused:
        assert "\n" not in str(refused) and len(str(refused)) < 400
