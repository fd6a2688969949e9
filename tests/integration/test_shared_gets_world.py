"""Integration: one audit sends each of its identical GET requests once (net/sharedgets.py), counted by nginx.

The crawl's home page, the HTTPS headers probe and the exposure probe's `/` candidate all send
`GET https://host/` with trustscan's User-Agent, and the crawl and the privacy-policy probe both read
the policy page; the worlds' nginx logs every request it receives (tests/world/nginx.py
ACCESS_LOG_FORMAT) and the audit must have sent each once. The cloaking probe's views of `/` as other
visitors are other requests and still arrive, one per identity.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import services
from tests.world import World, find_nginx
from tests.world.content import POLICY_PATH
from tests.world.many import ManyWorld, running_many
from trustscan.collect.crawl.cloaking import identities
from trustscan.net.httpclient import USER_AGENT

pytestmark = pytest.mark.world

TRUSTSCAN = [str(Path(sys.executable).with_name("trustscan"))]


@pytest.fixture(scope="module")
def one_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyWorld]:
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_many(tmp_path_factory.mktemp("logged"), 1, access_log=True) as world:
        yield world


def audit(target: str, world: World | ManyWorld, report: Path) -> dict[str, Any]:
    """`trustscan audit` of one site of `world` as a real process; its JSON report."""
    result = subprocess.run([*TRUSTSCAN, "audit", target, "--resolver", f"{world.dns_ip}:{world.dns_port}",
                             "--ca-bundle", str(world.ca_bundle), "--http-port", str(world.http_port),
                             "--allow-private", "--timeout", "60", "--lang", "en", "--format", "json",
                             "-o", str(report)], capture_output=True, text=True, timeout=120)
    assert report.exists(), result.stderr
    loaded: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return loaded


def test_one_audit_sends_each_identical_get_once(one_site: ManyWorld, tmp_path: Path) -> None:
    world = one_site
    audit_report = audit(world.targets()[0], world, tmp_path / "report.json")
    # The three probes that ask for the home page all got it: the crawl, HSTS, and the exposure check of `/`.
    evidence = audit_report["evidence"]
    assert evidence["https"]["data"]["hsts_present"] and evidence["https"]["data"]["status"] == 200
    assert evidence["crawl"]["data"]["pages"][0]["status"] == 200
    assert "/" in evidence["exposure"]["data"]["checked"] and evidence["exposure"]["data"]["unreachable"] == []
    verdict = {v["rule_id"]: v["status"] for v in audit_report["verdicts"]}
    assert {verdict[rule] for rule in ("c.http.hsts", "a.exposure.directory_listing", "b.tracking.first_view")} == {
        "pass"}
    received = [r for r in world.requests() if r.host == world.hosts[0]]
    home = [r for r in received if (r.scheme, r.method, r.uri) == ("https", "GET", "/")]
    ours = [r for r in home if r.user_agent == USER_AGENT]
    assert len(ours) == 1, ours
    # Every other view of `/` is another visitor's (the cloaking probe's identities), each once.
    browser, others = identities()
    views = Counter((r.user_agent, r.referer) for r in home if r.user_agent != USER_AGENT)
    expected = Counter((dict(i.headers)["User-Agent"], dict(i.headers).get("Referer", "-")) for i in (browser, *others))
    assert views == expected
    # And no request at all arrived twice the same (same URL, User-Agent, Referer and cookies).
    repeated = [key for key, count in Counter(received).items() if count > 1]
    assert repeated == []


def test_the_privacy_policy_page_is_read_once_by_the_crawl_and_the_policy_probe(world: World, tmp_path: Path) -> None:
    good = world.site("good")
    world.forget_requests()
    audit_report = audit(good.target, world, tmp_path / "report.json")
    fetched = audit_report["evidence"]["privacy"]["data"]["policy_fetches"]
    # The policy probe read the page the crawl found, and recognised it: the same verdict as before.
    assert [(f["final_url"], f["is_policy"]) for f in fetched] == [(good.https_url(POLICY_PATH), True)]
    assert {v["rule_id"]: v["status"] for v in audit_report["verdicts"]}["b.privacy.policy"] == "pass"
    crawled = audit_report["evidence"]["crawl"]["data"]["pages"]
    assert any(page["url"] == good.https_url(POLICY_PATH) for page in crawled)
    ours = Counter(r.uri for r in world.requests(good.host)
                   if (r.scheme, r.method, r.user_agent) == ("https", "GET", USER_AGENT))
    assert ours[POLICY_PATH] == 1 and ours["/"] == 1, ours
