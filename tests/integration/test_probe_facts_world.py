"""The facts probes declare are the facts they produce: real audits of the local world, fast and deep TLS.

tests/collect/test_probe_registry.py checks rules against the declarations; this checks the declarations
against what every probe actually returned, so a probe cannot produce a fact rules could not name.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.integration.test_audit_world import world_settings
from tests.world import World
from trustscan.audit import run_audit
from trustscan.collect import registry
from trustscan.core.models import Attempt, AttemptStatus
from trustscan.core.target import parse_target

# One site per kind of output: clean, legacy TLS, no HTTPS, exposed files and cookies, listed, crawl findings.
SITES = ("good", "legacy", "httponly", "a-exposed", "a-badcookie", "listed-domain", "content-malware",
         "content-noconsent", "sectxt-missing")
DEEP_SITES = ("good", "legacy")


@pytest.fixture(scope="module")
def attempts(world: World) -> list[Attempt]:
    fast = world_settings(world)
    deep = dataclasses.replace(fast, deep=True)
    jobs = [(name, fast) for name in SITES] + [(name, deep) for name in DEEP_SITES]

    async def audit_all() -> list[Attempt]:
        outcomes = await asyncio.gather(*(
            run_audit(parse_target(world.site(name).target), settings) for name, settings in jobs
        ))
        return [attempt for outcome in outcomes for attempt in outcome.attempts.values()]

    return asyncio.run(audit_all())


def test_every_probe_completed_somewhere(attempts: list[Attempt]) -> None:
    completed = {a.probe for a in attempts if a.status is AttemptStatus.COMPLETED}
    assert completed >= {spec.name for spec in registry.probes()} | {"dns"}


def test_every_fact_a_probe_produced_is_declared(attempts: list[Attempt]) -> None:
    undeclared = sorted({path for attempt in attempts for path in registry.undeclared_facts(attempt)})
    assert undeclared == []
