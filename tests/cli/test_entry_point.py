"""The console script's exit: the exit code and all output survive an abandoned sslyze thread.

`run` ends the process with os._exit when a trustscan daemon thread is still alive (a handshake the
deadline or Ctrl-C abandoned), because CPython's shutdown can abort the process on such a thread.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from trustscan import __version__

_WITH_ABANDONED_THREAD = """
import sys, threading, time
if sys.argv[1] == "stuck":
    threading.Thread(target=time.sleep, args=(600,), name="trustscan-scan_tls", daemon=True).start()
sys.argv = ["trustscan", *sys.argv[2:]]
from trustscan.cli.main import run
run()
"""


@pytest.mark.parametrize("thread", ["stuck", "none"])
def test_exit_code_and_output_are_kept(thread: str) -> None:
    ok = subprocess.run([sys.executable, "-c", _WITH_ABANDONED_THREAD, thread, "--version"], capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0 and __version__ in ok.stdout, ok.stderr
    bad = subprocess.run([sys.executable, "-c", _WITH_ABANDONED_THREAD, thread, "audit"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("trustscan: error:") and "Traceback" not in bad.stderr
