"""A non-editable install carries every package and every data file the commands read.

setup.py lets setuptools find the packages; this builds the wheel a plain `pip install .` would
install and compares its contents with the source tree, so a new subpackage, rule file, template or
schema cannot be left out of the installed package again.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # Build from a copy of the tracked files only, so stale build/ or egg-info folders prove nothing.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = build / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(out), str(build)], check=True, capture_output=True)
    (built,) = out.glob("trustscan-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed on its own (not editable) into a folder that goes first on sys.path."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    return target


def _tracked(folder: str, suffixes: tuple[str, ...]) -> set[str]:
    files = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name for name in files.stdout.split() if name.endswith(suffixes)}


def test_every_module_of_the_package_is_in_the_wheel(wheel_names: set[str]) -> None:
    modules = _tracked("trustscan", (".py",))
    assert modules, "no modules found"
    assert modules - wheel_names == set()


@pytest.mark.parametrize("folder", ["rules", "reports"])
def test_rules_and_reports_ship_inside_the_package(wheel_names: set[str], folder: str) -> None:
    data = _tracked(folder, (".py", ".yaml", ".yml", ".txt", ".json", ".j2"))
    assert data, f"nothing tracked under {folder}/"
    missing = {name for name in data if f"trustscan/{name}" not in wheel_names}
    assert missing == set()


COMMANDS = ("audit", "badge", "bulk", "declare", "demo", "diff", "keygen", "lists", "monitor", "portfolio", "report",
            "rules",
            "sign", "verify")


def _run_installed(installed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run from a folder outside the checkout, so the source tree cannot stand in for the install.
    code = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import trustscan; "
            "assert trustscan.__file__.startswith(sys.path[0]), trustscan.__file__; "
            "from trustscan.cli.main import main; sys.argv[0] = 'trustscan'; main()")
    return subprocess.run([sys.executable, "-c", code, str(installed), *args], cwd=installed.parent,
                          capture_output=True, text=True, timeout=60)


def test_the_installed_package_runs_every_command(installed: Path) -> None:
    listed = _run_installed(installed, "--help")
    assert listed.returncode == 0, listed.stderr
    assert set(COMMANDS) <= set(listed.stdout.split())
    for command in COMMANDS:
        result = _run_installed(installed, command, "--help")
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert "Usage:" in result.stdout


def test_the_installed_package_reads_its_rules_and_messages(installed: Path) -> None:
    result = _run_installed(installed, "rules", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "c.tls.tls13" in result.stdout and "TLS 1.3 is offered" in result.stdout


@pytest.mark.world  # the demo brings up its own local world (CA, DNS, two HTTPS sites) on loopback
def test_the_installed_package_runs_the_demo_audit(installed: Path, tmp_path: Path) -> None:
    """The main job end to end from the installed files: templates, schemas, rules, the demo world."""
    result = _run_installed(installed, "demo", "--output-dir", str(tmp_path), "--lang", "en")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {path.name for path in tmp_path.glob("*.json")} >= {"good.json", "broken.json"}
