"""Find the probes: every ProbeSpec (and FactSource) declared at module level under trustscan.collect.

The registry imports each module and subpackage directly under `trustscan.collect` (a subpackage
declares its probes in its `__init__`, beside the modules that implement them) and collects the
module-level specs. So adding a probe is a new module plus its rules: nothing here or in the audit
changes. Spec modules are cheap to import (heavy libraries load inside the probe functions), so
finding the probes costs no scan machinery, and `trustscan rules` can check facts without it
(the audit facade, which knows both probes and rules, does that check: collect never imports judge).

The order is deterministic: a probe comes after the probes it needs; otherwise modules in name
order and specs in the order their module defines them.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any

from trustscan import collect
from trustscan.collect.base import FactSource, ProbeSpec
from trustscan.core.facts import is_declared, is_group
from trustscan.core.models import Attempt

__all__ = ["RegistryError", "declared_facts", "fact_sources", "order_by_needs", "probes",
           "undeclared_facts"]

#: Modules of the package that hold machinery, not probes.
_NOT_PROBES = frozenset({"base", "registry", "runner", "warm"})


class RegistryError(RuntimeError):
    """The declared probes contradict each other (a programming error, caught by the tests)."""


@functools.cache
def _discovered() -> tuple[ProbeSpec | FactSource, ...]:
    found: dict[str, ProbeSpec | FactSource] = {}
    for module_info in sorted(pkgutil.iter_modules(collect.__path__), key=lambda m: m.name):
        if module_info.name in _NOT_PROBES:
            continue
        module = importlib.import_module(f"{collect.__name__}.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, ProbeSpec | FactSource) or found.get(value.name) is value:
                continue
            if value.name in found:
                raise RegistryError(f"two probes are named {value.name!r} (in {module.__name__})")
            found[value.name] = value
    return tuple(found.values())


def order_by_needs(specs: Iterable[ProbeSpec]) -> tuple[ProbeSpec, ...]:
    """`specs` with every probe after the probes it needs, otherwise in the given order."""
    pending = list(specs)
    names = {spec.name for spec in pending}
    ordered: list[ProbeSpec] = []
    done: set[str] = set()
    while pending:
        ready = next((spec for spec in pending if set(spec.needs) <= done), None)
        if ready is None:
            missing = sorted({need for spec in pending for need in spec.needs} - names)
            problem = f"unknown probes {missing}" if missing else "a cycle"
            raise RegistryError(f"probes {[spec.name for spec in pending]} need {problem}")
        pending.remove(ready)
        ordered.append(ready)
        done.add(ready.name)
    return tuple(ordered)


@functools.cache
def probes() -> tuple[ProbeSpec, ...]:
    """Every probe the audit schedules, needs first."""
    return order_by_needs(spec for spec in _discovered() if isinstance(spec, ProbeSpec))


def fact_sources() -> tuple[ProbeSpec | FactSource, ...]:
    """Every declared source of facts: the scheduled probes and the attempts the audit builds itself."""
    return _discovered()


@functools.cache
def declared_facts() -> frozenset[str]:
    """Every fact path rules may read, probe name first (`tls.certificate.expired`, `tls.accepted_suites.*`)."""
    return frozenset(f"{source.name}.{fact}" for source in _discovered() for fact in source.facts)


def undeclared_facts(attempt: Attempt) -> list[str]:
    """Keys the attempt's facts carry that its probe does not declare (honesty of a declaration).

    Walks every mapping the declaration makes a group (`certificate`, `protocols`); a leaf's value
    is data, read whole, and not walked.
    """
    declared = declared_facts()
    found: list[str] = []

    def walk(keys: tuple[str, ...], facts: Mapping[str, Any]) -> None:
        for key, value in facts.items():
            path = (*keys, str(key))
            if not is_declared(path, declared):
                found.append(".".join(path))
            elif isinstance(value, Mapping) and is_group(path, declared):
                walk(path, value)

    if attempt.data is not None:
        walk((attempt.probe,), attempt.data)
    return found
