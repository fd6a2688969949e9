"""Keep httpx's own command-line client out of trustscan's processes.

`import httpx` runs `from ._main import main` for the `httpx` console command, which imports rich,
pygments and click's extras: ~0.04 s of CPU at every trustscan start that does HTTP (5% of a full
audit), for a function trustscan never calls. httpx guards that import with `except ImportError`
(its CLI dependencies are optional) and then defines a stand-in `httpx.main` that says they are
missing. `skip_httpx_cli()` puts a finder first on `sys.meta_path` that refuses `httpx._main` once,
the first time it is asked for (inside httpx's `__init__`), and then removes itself: httpx takes its
own fallback, and a later explicit `import httpx._main` works as usual. Nothing else is touched.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["skip_httpx_cli"]

_REFUSED = "httpx._main"


class _RefuseHttpxCliOnce:
    """A meta path finder that answers only for `httpx._main`, once, with ModuleNotFoundError."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != _REFUSED:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        raise ModuleNotFoundError(f"{_REFUSED} (httpx's console command) is not loaded by trustscan", name=fullname)


def skip_httpx_cli() -> None:
    """Install the one-shot refusal, unless httpx is already imported or it is already installed."""
    if "httpx" in sys.modules or any(isinstance(finder, _RefuseHttpxCliOnce) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _RefuseHttpxCliOnce())  # type: ignore[arg-type]
