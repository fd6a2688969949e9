"""The scale-out libraries (celery, kombu, redis, psycopg) load only on the scale-out paths.

`audit` and the embedded bulk must not pay for them, nor need them installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCALE = ["billiard", "celery", "kombu", "psycopg", "redis"]
CODE = """
import sys
from pathlib import Path
from trustscan.cli.main import main
import trustscan.audit, trustscan.bulk.scheduler, trustscan.bulk.dashboard
from trustscan.bulk.store import ResultStore
ResultStore(Path(sys.argv[1]) / "r.db").close()
print(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:])))
"""


def test_audit_and_the_embedded_store_never_import_the_scale_out_libraries(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", CODE, str(tmp_path), *SCALE], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout
