"""Integration: a warmed worker process (trustscan.collect.warm) loads nothing more in a real audit.

`bulk --processes` workers call `warm_up` while the bulk process plans the run, so that their first
audits do not pay the imports and data files the probes load on first use. The list of what to load
is kept by hand; this test audits a full world site in a fresh warmed process and names what the
audit still had to load (modules, root stores), so a probe that gains a lazy import cannot silently
undo the warm-up.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.world import World

_AUDIT_AFTER_WARM_UP = """
import asyncio, json, sys
from pathlib import Path
from trustscan.audit import load_checked_ruleset, run_audit
from trustscan.collect.warm import warm_up
from trustscan.core.settings import AuditSettings, NameServer
from trustscan.core.target import parse_target

world = json.loads(sys.argv[1])
ruleset = load_checked_ruleset()
warm_up()
before = set(sys.modules)
import cryptography.x509
parsed = []  # PEM bundles parsed during the audit, by size: the root stores must not be among them
load_pem = cryptography.x509.load_pem_x509_certificates
def counting(data):
    parsed.append(len(data))
    return load_pem(data)
cryptography.x509.load_pem_x509_certificates = counting
import sslyze.plugins.certificate_info.trust_stores.trust_store as trust_store
trust_store.load_pem_x509_certificates = counting
settings = AuditSettings(nameserver=NameServer(world["dns_ip"], world["dns_port"]), ca_bundle=Path(world["ca"]),
                         http_port=world["http_port"], allow_private=True, timeout=60.0,
                         blocklist_files=(Path(world["blocklist"]),))
outcome = asyncio.run(run_audit(parse_target(world["target"]), settings, ruleset=ruleset))
print(json.dumps({"new": sorted(set(sys.modules) - before), "parsed": parsed,
                  "errors": sorted(name for name, attempt in outcome.attempts.items() if attempt.error)}))
"""

#: Packages an audit loads on first use that a warm process must already hold: the probes' own modules
#: and the libraries behind them.
HEAVY = ("trustscan.collect", "sslyze", "nassl", "cryptography", "lxml", "anyio", "httpcore", "h2", "hpack", "dns")


def test_a_warm_process_loads_no_probe_library_during_a_full_audit(world: World) -> None:
    site = world.site("good")
    facts = {"dns_ip": world.dns_ip, "dns_port": world.dns_port, "ca": str(world.ca_bundle),
             "http_port": world.http_port, "blocklist": str(world.blocklist), "target": site.target}
    result = subprocess.run([sys.executable, "-c", _AUDIT_AFTER_WARM_UP, json.dumps(facts)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    # Every probe really ran (nothing skipped that would have loaded more); no owner's declaration was given.
    assert seen["errors"] == ["declaration"]
    late = [name for name in seen["new"] if name.split(".")[0] in HEAVY or name.startswith(HEAVY)]
    assert late == [], f"loaded during the audit, not by warm_up: {late}"
    # sslyze's five root stores and the Mozilla anchors (each over 100 kB of PEM) were parsed ahead;
    # the world's own CA bundle (the audit's --ca-bundle) is read by the audit that names it.
    assert [size for size in seen["parsed"] if size > 100_000] == []
