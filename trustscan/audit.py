"""Audit one site: resolve, then collect, then judge.

- resolve: the target's addresses, once (`trustscan.collect.dns`); a non-public address is refused
  before any connection;
- collect: every probe the rules need (`trustscan.collect.registry` finds them), run concurrently
  by `trustscan.collect.runner` under one deadline, each outcome an Attempt;
- judge: the pure rule engine over the finished evidence (`trustscan.judge`).

One `Deadline` is created here, when the audit starts, and every wait below is bounded by it.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import httpx

from trustscan.collect.base import Deadline
from trustscan.collect.declaration import DECLARATION_PROBE, declaration_attempt
from trustscan.collect.dns import resolve_target
from trustscan.collect.registry import RegistryError, declared_facts
from trustscan.collect.runner import collect, probes_for
from trustscan.core.errors import AddressPolicyError, RuleError
from trustscan.core.models import Attempt
from trustscan.core.settings import AuditSettings
from trustscan.core.target import Target
from trustscan.core.wordings import Wording
from trustscan.judge.engine import evaluate, roll_up
from trustscan.judge.facts import check_rule_facts
from trustscan.judge.ruleset import Ruleset, load_ruleset
from trustscan.net.resolve import AnswerCache, Resolver, non_public_reason
from trustscan.owner.declaration import Declaration
from trustscan.report.document import AuditOutcome

__all__ = ["AddressPolicyError", "AuditSettings", "check_rules", "load_checked_ruleset", "run_audit"]


def check_rules(ruleset: Ruleset) -> Ruleset:
    """The ruleset, once every fact its rules read is declared by a probe; RuleError (one line) if not."""
    try:
        return check_rule_facts(ruleset, declared_facts())
    except RegistryError as exc:  # a broken probe declaration is as fatal as a broken rule file
        raise RuleError(str(exc)) from None


@functools.cache
def load_checked_ruleset() -> Ruleset:
    """The shipped rules, every fact they read declared by a probe; RuleError (one line) if not."""
    return check_rules(load_ruleset())


async def run_audit(
    target: Target,
    settings: AuditSettings,
    *,
    ruleset: Ruleset | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    declaration: Declaration | None = None,
    dns_cache: AnswerCache | None = None,
) -> AuditOutcome:
    """Audit one site. Raises AddressPolicyError before any connection if the address is refused.

    `declaration` (the owner's, already validated) enters the evidence as the `declaration`
    pseudo-probe: it does no I/O, and without one criterion a can only be `manual`. `dns_cache`:
    DNS answers shared with the other audits of a bulk run (trustscan.net.resolve.AnswerCache).
    """
    ruleset = ruleset or load_checked_ruleset()
    if settings.criteria is not None:
        ruleset = ruleset.restricted_to(settings.criteria)
    probes = probes_for(probe for rule in ruleset.rules for probe in rule.probes)
    started = datetime.now(UTC)
    deadline = Deadline.after(settings.timeout)
    resolver = Resolver(settings.nameserver, timeout=deadline.bound(settings.probe_timeout), cache=dns_cache)
    dns_attempt = await resolve_target(target, resolver, deadline)
    addresses: tuple[str, ...] = tuple(dns_attempt.data["addresses"]) if dns_attempt.data else ()
    evidence: dict[str, Attempt] = {dns_attempt.probe: dns_attempt}
    evidence[DECLARATION_PROBE] = declaration_attempt(declaration, target.ascii_host, started)
    if not addresses:
        # Nothing could be checked, so every probe is an error (audit incomplete), not "skipped".
        reason = Wording("error.not_run", {"cause": dns_attempt.wording or dns_attempt.error})
        evidence.update({spec.name: Attempt.failed(spec.name, reason) for spec in probes})
    else:
        why = None if settings.allow_private else non_public_reason(addresses[0])
        if why is not None:
            raise AddressPolicyError("error.address_policy", host=target.ascii_host, address=addresses[0],
                                     category=why)
        chain = tuple(dns_attempt.data.get("cname_chain") or ()) if dns_attempt.data else ()
        evidence.update(await collect(target, addresses, settings, resolver, deadline, transport, probes,
                                      cname_chain=chain))
    verdicts = evaluate(ruleset, evidence)
    return AuditOutcome(
        target=target,
        addresses=addresses,
        started_at=started,
        finished_at=datetime.now(UTC),
        attempts=evidence,
        verdicts=tuple(verdicts),
        criteria=roll_up(ruleset, verdicts),
        declaration=declaration,
        only=settings.criteria,
    )
