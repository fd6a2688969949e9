"""The layers stay as README's "How it works" draws them: import-linter's contract in pyproject.toml."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_points_down_the_layers() -> None:
    cwd = Path.cwd()
    os.chdir(ROOT)  # import-linter reads pyproject.toml from the working directory
    try:
        assert lint_imports(no_cache=True, no_logo=True) == 0
    finally:
        os.chdir(cwd)
