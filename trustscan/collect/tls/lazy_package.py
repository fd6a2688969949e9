"""Import a package's submodules without running its `__init__` until a name of its own is asked for.

sslyze's `__init__` re-exports its whole public API, so `import sslyze.anything` first imports every
scan plugin, its JSON models and the scanner (~0.1 s of a 0.5 s audit). The fast TLS path needs
only a few submodules (nassl wrappers, heartbleed/CCS/ROBOT testers, the chain validator), and
imports them by their full module path. `defer_package_init("sslyze")` puts a package object in
`sys.modules` whose submodules import normally; the first lookup of a package-level name
(`from sslyze import Scanner`, as the `--deep` path does) runs the real `__init__` once, in place,
so every later user sees the genuine package. If the package is already imported, nothing changes.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["defer_package_init"]


def defer_package_init(name: str) -> None:
    """Register *name* so its `__init__` runs on the first package-level attribute lookup, not on import."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not an installed package: let the ordinary import report it
    package = importlib.util.module_from_spec(spec)  # __path__, __spec__, __file__ set; no code run
    loader = spec.loader

    def complete(attribute: str) -> Any:  # PEP 562 module __getattr__: only for names not yet defined
        if package.__dict__.pop("__getattr__", None) is None:  # already completing: a genuine miss
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = complete  # type: ignore[method-assign]
    sys.modules[name] = package


def is_deferred(module: ModuleType) -> bool:
    """True while *module*'s own `__init__` has not run yet (for tests)."""
    return "__getattr__" in module.__dict__
