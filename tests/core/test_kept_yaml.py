"""The shipped YAML files' parsed data kept as JSON beside them (core/yamldata.py): the same data as
parsing, never stale, never written where bytecode would not be, and never a reason to fail."""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path

import pytest

from trustscan.core import yamldata
from trustscan.core.yamldata import load_shipped_text, load_yaml


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep parsed data in a fresh folder, with writing allowed (the test run may forbid bytecode)."""
    folder = tmp_path / "__pycache__"
    monkeypatch.setattr(yamldata, "kept_path", lambda name: folder / (name.replace("/", "--") + ".json"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return folder


def _shipped() -> list[tuple[str, str]]:
    root = Path(str(resources.files("trustscan.rules")))
    return [(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
            for path in sorted(root.rglob("*.yaml")) if yamldata.COMPILED_FOLDER not in path.parts]


def test_every_shipped_file_reads_back_as_the_data_parsing_gives(kept: Path) -> None:
    files = _shipped()
    assert len(files) >= 25  # rules, both languages' messages, the data files
    for name, text in files:
        assert load_shipped_text(text, name) == load_yaml(text), name  # parsed, then kept
        assert load_shipped_text(text, name) == load_yaml(text), name  # read back from the JSON
    assert len(list(kept.iterdir())) == len(files)


def test_the_kept_data_is_read_instead_of_parsing(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_shipped_text("a: [1, 2]\n", "x.yaml")

    def refuse(text: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yamldata, "load_yaml", refuse)
    assert load_shipped_text("a: [1, 2]\n", "x.yaml") == {"a": [1, 2]}


def test_a_changed_text_is_parsed_again_never_served_stale(kept: Path) -> None:
    assert load_shipped_text("a: 1\n", "x.yaml") == {"a": 1}
    assert load_shipped_text("a: 2\n", "x.yaml") == {"a": 2}
    assert json.loads((kept / "x.yaml.json").read_text())["data"] == {"a": 2}
    assert (kept / "x.yaml.json").stat().st_mode & 0o777 == 0o644  # every user of an install reads it


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"sha256": 1}', b"[]", b"\xff\xfe"])
def test_a_damaged_kept_file_is_parsed_over(damage: bytes, kept: Path) -> None:
    load_shipped_text("a: 1\n", "x.yaml")
    (kept / "x.yaml.json").write_bytes(damage)
    assert load_shipped_text("a: 1\n", "x.yaml") == {"a": 1}
    assert json.loads((kept / "x.yaml.json").read_text())["data"] == {"a": 1}


@pytest.mark.parametrize("text", ["when: 2026-12-01\n", "1: one\n", "x: .nan\n"])
def test_data_json_cannot_hold_exactly_is_never_kept(text: str, kept: Path) -> None:
    assert repr(load_shipped_text(text, "x.yaml")) == repr(load_yaml(text))  # repr: nan != nan
    assert not (kept / "x.yaml.json").exists()


def test_nothing_is_written_when_python_writes_no_bytecode(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert load_shipped_text("a: 1\n", "x.yaml") == {"a": 1}
    assert not kept.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_read_only_install_parses_every_time_without_failing(kept: Path) -> None:
    kept.parent.chmod(0o500)
    try:
        assert load_shipped_text("a: 1\n", "x.yaml") == {"a": 1}
        assert not kept.exists()
    finally:
        kept.parent.chmod(0o700)


def test_an_unwritable_place_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(yamldata, "kept_path", lambda name: blocker / "__pycache__" / "x.json")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert load_shipped_text("a: 1\n", "x.yaml") == {"a": 1}


def test_the_kept_folder_is_the_rules_bytecode_folder_and_never_shipped() -> None:
    path = yamldata.kept_path("data/trackers.yaml")
    assert path is not None and path.parent.name == "__pycache__" and path.name == "data--trackers.yaml.json"
    assert path.parent.parent == Path(str(resources.files("trustscan.rules")))
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"trustscan.rules" = ["*.yaml", "*.txt", "data/*", "messages/*/*.yaml"]' in pyproject  # no __pycache__


_LOAD_SHIPPED = """
import sys
from trustscan.cli.common import load_rules
from trustscan.core.catalog import load_catalog
from trustscan.collect.crawl.lexicon import gambling_vocabulary
load_rules(); load_catalog("vi"); load_catalog("en"); gambling_vocabulary()
print("yaml" in sys.modules)
"""


def test_with_every_file_kept_no_command_imports_pyyaml_to_start() -> None:
    """The kept data is the whole point: a warm start reads JSON and never imports PyYAML (~14 ms)."""
    import subprocess

    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    first = subprocess.run([sys.executable, "-c", _LOAD_SHIPPED], capture_output=True, text=True, env=env,
                           check=True, timeout=60)
    kept_folder = yamldata.kept_path("x.yaml")
    if kept_folder is None or not kept_folder.parent.is_dir():
        pytest.skip("the installed rules folder cannot be written here")
    again = subprocess.run([sys.executable, "-c", _LOAD_SHIPPED], capture_output=True, text=True, env=env,
                           check=True, timeout=60)
    assert first.stdout.strip() in ("True", "False") and again.stdout.strip() == "False"
