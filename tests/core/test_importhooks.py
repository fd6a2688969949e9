"""httpx's console command (rich, pygments) is not imported by trustscan, and nothing else changes."""

from __future__ import annotations

import subprocess
import sys


def _run(script: str) -> str:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()


def test_importing_httpx_after_trustscan_skips_its_cli_and_leaves_no_hook() -> None:
    out = _run("import sys, trustscan, httpx; "
               "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'pygments'}), "
               "'httpx._main' in sys.modules, httpx.main.__module__, "
               "any(type(f).__module__ == 'trustscan.importhooks' for f in sys.meta_path), httpx.AsyncClient.__name__)")
    assert out == "[] False httpx False AsyncClient"


def test_the_cli_module_still_imports_when_asked_for_by_name() -> None:
    out = _run("import trustscan, httpx; import httpx._main as cli; print(cli.main.name)")
    assert out == "main"


def test_without_trustscan_httpx_is_untouched() -> None:
    out = _run("import sys, httpx, trustscan; print('httpx._main' in sys.modules, "
               "any(type(f).__module__ == 'trustscan.importhooks' for f in sys.meta_path))")
    assert out == "True False"
