"""Issue 13 item 4 on the real local world: why a bulk site could not be audited, in the language asked for.

A world site (a name the local DNS resolves to a loopback address) audited without --allow-private is
refused by the real audit after the real lookup; a loopback tarpit audited with --allow-private runs
into the site's deadline for real. Both rows, recorded in one run, are then shown by `portfolio` in
every format and by `publish`, in Vietnamese and in English: each says its reason in the language asked
for, and no sentence of the other language's error wording shows. The same holds for a whole `bulk`
run of world sites without --allow-private.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.test_audit_world import world_settings
from tests.world import World
from trustscan.audit import load_checked_ruleset
from trustscan.bulk.portfolio import parse_text
from trustscan.bulk.scheduler import BulkJob, audit_one
from trustscan.bulk.store import ResultStore, SiteRow
from trustscan.cli.main import main
from trustscan.core.catalog import LANGUAGES, load_catalog
from trustscan.core.target import parse_target

pytestmark = pytest.mark.world

_IDS = re.compile(r"^(bulk\.error|address|error)\.")
_PLACEHOLDER = re.compile(r"\{[a-z0-9_.]+\}")


def tell_tales(language: str) -> set[str]:
    """Phrases of *language*'s error wording (bulk errors, address categories, audit errors) the other never uses."""
    catalog, other = load_catalog(language), load_catalog("vi" if language == "en" else "en")
    everything_else = "\n".join(other.messages.values())
    found = set()
    for key, text in catalog.messages.items():
        if _IDS.match(key):
            for part in _PLACEHOLDER.split(text):
                part = part.strip(" :;,.()")
                if len(part) >= 8 and " " in part and part not in everything_else:
                    found.add(part)
    return found


@pytest.fixture(scope="module")
def tarpit() -> Iterator[tuple[str, int]]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.62", 0))
        server.listen(64)
        yield "127.0.0.62", int(server.getsockname()[1])


@pytest.fixture(scope="module")
def database(world: World, tarpit: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One run: a refused world site and a site that hit its deadline, both audited for real."""
    refused_target = world.site("good").target
    late_target = f"{tarpit[0]}:{tarpit[1]}"
    ruleset, catalog = load_checked_ruleset(), load_catalog("en")

    async def audit_both() -> tuple[SiteRow, SiteRow]:
        refused = audit_one(BulkJob(refused_target, parse_target(refused_target)),
                            world_settings(world, allow_private=False), ruleset=ruleset, catalog=catalog)
        # The audit's own timeout is far away: the site's deadline (the bulk scheduler's) is what ends it.
        late = audit_one(BulkJob(late_target, parse_target(late_target)),
                         world_settings(world, timeout=60.0, http_port=tarpit[1]), ruleset=ruleset, catalog=catalog,
                         deadline=1.5)
        return await asyncio.gather(refused, late)

    refused, late = asyncio.run(audit_both())
    db = tmp_path_factory.mktemp("bulkwording") / "r.db"
    with ResultStore(db) as store:
        run = store.create_run(portfolio="p.txt", digest="d", settings={}, language="en", tool_version="t",
                               entries=parse_text(f"{refused_target}\n{late_target}\n").entries)
        store.record(run, refused)
        store.record(run, late)
        store.set_status(run, "complete")
    return db, {"refused": refused, "late": late}


def test_the_rows_are_a_real_refusal_and_a_real_deadline(database: tuple[Path, dict], world: World) -> None:
    _, rows = database
    refused, late = rows["refused"], rows["late"]
    assert refused.error_wording.id == "bulk.error.address_refused" and refused.report is None
    policy = refused.error_wording.values["cause"]
    assert policy.values["host"] == world.site("good").host and policy.values["category"].id == "address.loopback"
    assert late.error_wording.id == "bulk.error.site_deadline" and late.error == "site deadline of 1.5s reached"
    assert late.duration < 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_portfolio_and_publish_say_why_in_the_language_asked_for(database: tuple[Path, dict], language: str,
                                                                 tmp_path: Path) -> None:
    db, rows = database
    catalog, other = load_catalog(language), load_catalog("vi" if language == "en" else "en")
    said = {key: catalog.say(row.error_wording) for key, row in rows.items()}
    unsaid = {key: other.say(row.error_wording) for key, row in rows.items()}
    leaks = tell_tales(other.language)
    assert leaks  # the check below can find something
    expected = {"en": ("loopback (RFC 1122)", "site deadline of 1.5s reached"),
                "vi": ("địa chỉ vòng lặp nội bộ (RFC 1122)", "đã hết thời hạn 1.5 giây dành cho trang")}[language]
    assert expected[0] in said["refused"] and said["late"] == expected[1]
    outputs = {}
    for output_format in ("html", "csv", "json"):
        result = CliRunner().invoke(main, ["portfolio", str(db), "--format", output_format, "--lang", language])
        assert result.exit_code == 0, result.output
        outputs[output_format] = result.stdout
    site = tmp_path / "site"
    published = CliRunner().invoke(main, ["publish", str(db), "--site", str(site), "--lang", language])
    assert published.exit_code == 0, published.output
    for page in sorted((site / "sites").iterdir()):
        outputs[f"publish {page.name}"] = page.read_text(encoding="utf-8")
    data = json.loads(outputs["json"])
    assert sorted(s["error"] for s in data["sites"]) == sorted(said.values())
    assert sorted(row["error"] for row in csv.DictReader(io.StringIO(outputs["csv"]))) == sorted(said.values())
    for how, text in outputs.items():
        flat = " ".join(text.split())
        if how == "json":
            flat = " ".join(s["error"] for s in data["sites"])  # data: the facts stay; the sentences are worded
        assert [sentence for sentence in unsaid.values() if sentence in flat] == [], how
        assert sorted(phrase for phrase in leaks if phrase in flat) == [], how
        if how in ("html", "csv"):
            assert all(sentence in flat for sentence in said.values()), how
    assert sum(sentence in outputs[how] for how in outputs if how.startswith("publish") for sentence in said.values()) \
        == 2


def test_a_whole_bulk_run_without_allow_private_reads_in_vietnamese(world: World, tmp_path: Path) -> None:
    """`bulk --lang en` of world sites, refused after the real lookups; `portfolio --lang vi` says why in Vietnamese."""
    sites = tmp_path / "sites.txt"
    sites.write_text(f"{world.site('good').target}\n{world.site('httponly').target}\n", encoding="utf-8")
    db = tmp_path / "r.db"
    bulk = CliRunner().invoke(main, ["bulk", str(sites), "--db", str(db), "--resolver",
                                     f"{world.dns_ip}:{world.dns_port}", "--ca-bundle", str(world.ca_bundle),
                                     "--lang", "en", "--quiet"])
    assert bulk.exit_code == 3, bulk.output
    for language, expected in (("vi", "từ chối địa chỉ: "), ("en", "address refused: ")):
        result = CliRunner().invoke(main, ["portfolio", str(db), "--format", "csv", "--lang", language])
        assert result.exit_code == 0, result.output
        errors = [row["error"] for row in csv.DictReader(io.StringIO(result.stdout))]
        assert len(errors) == 2 and all(error.startswith(expected) for error in errors), errors
        leaks = tell_tales("en" if language == "vi" else "vi")
        assert sorted(phrase for error in errors for phrase in leaks if phrase in error) == []
