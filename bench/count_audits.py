"""Driver of bench/bench_instructions.py: audit sites one after the other, as a bulk worker does.

Not a benchmark by itself: bench_instructions.py runs it under valgrind, once with `--count 0`
and once with `--count N`, so start-up and the warm-up audit cancel out of the difference. Each
audit is `bulk`'s own per-site work (trustscan.bulk.scheduler.audit_one: the audit, the report,
its JSON), with one DNS answer cache for all, as in a worker process. Run as a script (not with
-m) so that a PYTHONPATH copy of trustscan is the one imported.

    python bench/count_audits.py SETTINGS.json --count N [--criteria c,e]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import warnings
from pathlib import Path


async def audit_sites(config: dict[str, object], count: int, criteria: tuple[str, ...] | None) -> int:
    from trustscan.audit import load_checked_ruleset
    from trustscan.bulk.scheduler import BulkJob, audit_one
    from trustscan.cli.options import blocklist_settings
    from trustscan.collect.warm import warm_up
    from trustscan.core.catalog import load_catalog
    from trustscan.core.settings import AuditSettings, NameServer
    from trustscan.core.target import parse_target
    from trustscan.net.resolve import AnswerCache

    warm_up()
    ip, port = str(config["resolver"]).rsplit(":", 1)
    settings = AuditSettings(
        nameserver=NameServer(ip, int(port)), ca_bundle=Path(str(config["ca_bundle"])), timeout=60,
        http_port=int(str(config["http_port"])), allow_private=True, criteria=criteria,
        **blocklist_settings(blocklists=(Path(str(config["blocklist"])),)),
    )
    ruleset, catalog, cache = load_checked_ruleset(), load_catalog("en"), AnswerCache()
    sites = [str(site) for site in config["sites"]]  # type: ignore[attr-defined]
    failed = 0
    # The first site warms what an audit builds on first use; it runs in both counts, so it cancels out.
    for site in sites[: count + 1]:
        row = await audit_one(BulkJob(site, parse_target(site)), settings, ruleset=ruleset, catalog=catalog,
                              dns_cache=cache)
        failed += row.error is not None
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", type=Path)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--criteria", default="")
    options = parser.parse_args()
    warnings.simplefilter("ignore")  # cryptography's note on a bundled root: not this count's business
    config = json.loads(options.settings.read_text(encoding="utf-8"))
    criteria = tuple(options.criteria.split(",")) if options.criteria else None
    failed = asyncio.run(audit_sites(config, options.count, criteria))
    if failed:
        sys.exit(f"{failed} audits ended in an error row: the count would not be of real audits")


if __name__ == "__main__":
    main()
