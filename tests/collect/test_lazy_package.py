"""The deferred sslyze package: submodules import without sslyze's `__init__`, which runs on the first
package-level name asked for (as the --deep path does), once, leaving the genuine package behind."""

from __future__ import annotations

import subprocess
import sys

_FAST_PATH = "import trustscan.collect.tls.fast"


def _run(script: str) -> str:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()


def test_the_fast_tls_path_loads_no_sslyze_plugin_or_scanner() -> None:
    out = _run(f"import sys; {_FAST_PATH}; "
               "print(sorted(m for m in ('sslyze.plugins.scan_commands', 'sslyze.scanner.scanner', "
               "'sslyze.plugins.certificate_info.implementation', 'sslyze.plugins.elliptic_curves_plugin') "
               "if m in sys.modules))")
    assert out == "[]"


def test_a_package_level_name_runs_the_real_init_once() -> None:
    out = _run(f"import sys; {_FAST_PATH}; "
               "from trustscan.collect.tls.lazy_package import is_deferred; "
               "before = is_deferred(sys.modules['sslyze']); "
               "from sslyze import Scanner, TlsVersionEnum; import sslyze; "
               "from sslyze.server_connectivity import TlsVersionEnum as direct; "
               "print(before, is_deferred(sslyze), 'sslyze.plugins.scan_commands' in sys.modules, "
               "TlsVersionEnum is direct, Scanner.__module__)")
    assert out == "True False True True sslyze.scanner.scanner"


def test_an_unknown_name_is_an_attribute_error_after_the_real_init() -> None:
    out = _run(f"{_FAST_PATH}; import sslyze\n"
               "try:\n    sslyze.no_such_name\nexcept AttributeError as exc:\n    print('AttributeError', exc)\n"
               "print(hasattr(sslyze, 'ScanCommand'))")
    assert out.splitlines() == ["AttributeError module 'sslyze' has no attribute 'no_such_name'", "True"]


def test_the_deep_and_fast_paths_in_one_process() -> None:
    out = _run(f"{_FAST_PATH}; import trustscan.collect.tls.deep as deep; print(deep.scan_tls.__name__)")
    assert out == "scan_tls"


def test_an_already_imported_package_is_left_alone() -> None:
    out = _run("import sslyze, sys; from trustscan.collect.tls.lazy_package import defer_package_init, is_deferred; "
               "defer_package_init('sslyze'); print(sys.modules['sslyze'] is sslyze, is_deferred(sslyze))")
    assert out == "True False"
