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
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
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
    (wheel,) = out.glob("trustscan-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


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
