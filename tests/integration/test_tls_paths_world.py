"""The fast TLS path (category probing) against the deep one (sslyze, every suite) on the nginx world.

Both paths scan every site of the test world; every criterion-c rule must reach the same status on
both, and every fact must be equal except `accepted_suites`, which the fast path lists only in part
(every weak and non-forward-secret suite, one per DH class, one representative otherwise).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.world import World
from trustscan.collect.tls.compat import ROBOT_RSA_NOT_SUPPORTED
from trustscan.collect.tls.deep import scan_tls
from trustscan.collect.tls.fast import scan_tls_fast
from trustscan.collect.tls.handshake import HandshakeCounter
from trustscan.core.errors import ProbeError
from trustscan.core.models import Attempt
from trustscan.judge.engine import evaluate
from trustscan.judge.ruleset import load_ruleset

_TIMEOUT = 5.0


def _scan(scanner: Any, world: World, name: str, **kwargs: Any) -> dict[str, Any] | ProbeError:
    site = world.site(name)
    try:
        return scanner(site.host, site.ip, site.https_port, ca_bundle=world.ca_bundle, timeout=_TIMEOUT, **kwargs)
    except ProbeError as exc:
        return exc


@pytest.fixture(scope="module")
def both_paths(world: World) -> dict[str, tuple[Any, Any, HandshakeCounter]]:
    """site -> (fast facts or ProbeError, deep facts or ProbeError, fast path's handshake counter)."""
    names = sorted(world.sites)
    counters = {name: HandshakeCounter() for name in names}
    with ThreadPoolExecutor(max_workers=4) as pool:
        fast = dict(zip(names, pool.map(lambda n: _scan(scan_tls_fast, world, n, counter=counters[n]), names),
                        strict=True))
        deep = dict(zip(names, pool.map(lambda n: _scan(scan_tls, world, n), names), strict=True))
    return {name: (fast[name], deep[name], counters[name]) for name in names}


_RULESET = load_ruleset()  # loaded once: it is read-only and takes a while to parse


def _c_statuses(facts: dict[str, Any] | ProbeError) -> dict[str, str]:
    """Every criterion-c rule's status on TLS evidence alone (other probes' rules then read errors alike)."""
    attempt = Attempt.failed("tls", str(facts)) if isinstance(facts, ProbeError) else Attempt.completed("tls", facts)
    ruleset = _RULESET
    tls_rules = {rule.id for rule in ruleset.rules if rule.criterion == "c" and rule.probes == ("tls",)}
    return {v.rule_id: v.status.value for v in evaluate(ruleset, {"tls": attempt}) if v.rule_id in tls_rules}


def test_world_has_tls_sites_of_both_kinds(both_paths: dict[str, Any]) -> None:
    """Guard: the comparison below must cover a modern site, a legacy site and a site without TLS."""
    assert {"good", "legacy", "httponly"} <= set(both_paths)


@pytest.mark.parametrize("site", ["good", "legacy", "expired", "selfsigned", "wronghost", "nochain", "httponly"])
def test_identical_criterion_c_verdicts_on_key_sites(site: str, both_paths: dict[str, Any]) -> None:
    fast, deep, _ = both_paths[site]
    assert _c_statuses(fast) == _c_statuses(deep)


def test_identical_criterion_c_verdicts_on_every_site(both_paths: dict[str, Any]) -> None:
    differing = {site: (_c_statuses(fast), _c_statuses(deep)) for site, (fast, deep, _) in both_paths.items()
                 if _c_statuses(fast) != _c_statuses(deep)}
    assert differing == {}


def test_verdicts_are_real_findings_not_errors(both_paths: dict[str, Any]) -> None:
    """The comparison would be empty if both paths errored: the legacy site must fail for real on both."""
    fast, deep, _ = both_paths["legacy"]
    statuses = _c_statuses(fast)
    for rule in ("c.tls.no_legacy_protocols", "c.tls.dh_params", "c.cert.key_size"):
        assert statuses[rule] == "fail", rule
    assert statuses["c.tls.forward_secrecy"] == "warn"
    assert "error" not in set(_c_statuses(both_paths["good"][0]).values())


@pytest.mark.parametrize("site", ["good", "legacy", "expired", "selfsigned", "wronghost", "nochain", "expiring"])
def test_identical_facts_except_the_suite_listing(site: str, both_paths: dict[str, Any]) -> None:
    fast, deep, _ = both_paths[site]
    assert not isinstance(fast, ProbeError) and not isinstance(deep, ProbeError)
    assert set(fast) == set(deep)
    for key in deep:
        if key == "certificate":
            # days_left may tick over between the two scans; everything else must match
            assert {k: v for k, v in fast[key].items() if k != "days_left"} == \
                   {k: v for k, v in deep[key].items() if k != "days_left"}
        elif key != "accepted_suites":
            assert fast[key] == deep[key], key
    # What the fast path lists it did see accepted, and every protocol the deep path lists is there too.
    assert set(fast["accepted_suites"]) == set(deep["accepted_suites"])
    for label, suites in fast["accepted_suites"].items():
        assert set(suites) <= set(deep["accepted_suites"][label]), label


def test_both_paths_refuse_a_site_without_tls(both_paths: dict[str, Any]) -> None:
    fast, deep, _ = both_paths["httponly"]
    assert isinstance(fast, ProbeError) and isinstance(deep, ProbeError)
    assert "refused" in str(fast)


def test_fast_path_sends_few_client_hellos(both_paths: dict[str, Any]) -> None:
    """The point of the fast path (issue 5): a modern site costs a handful of ClientHellos, not ~410."""
    good = both_paths["good"][2]
    assert good.client_hellos <= 10, good.by_purpose
    legacy = both_paths["legacy"][2]
    # enumerating its non-forward-secret suites and ROBOT's 3x6 payloads cost more, still far below 410
    assert good.client_hellos < legacy.client_hellos <= 60, legacy.by_purpose


def test_memory_bug_checks_connect_only_below_tls_1_3(both_paths: dict[str, Any]) -> None:
    """Heartbleed and CCS injection: a TLS 1.3 server gets sslyze's own no-connection answer, an older
    one is really tested (its connections are counted), and both paths agree (the facts test above)."""
    good, legacy = both_paths["good"][2].by_purpose, both_paths["legacy"][2].by_purpose
    assert not {"heartbleed", "ccs"} & set(good), good
    assert legacy.get("heartbleed", 0) >= 1 and legacy.get("ccs", 0) >= 1, legacy


_LOADED_AFTER_SCAN = """
import sys
from pathlib import Path
from trustscan.collect.tls.fast import scan_tls_fast
host, ip, port, bundle = sys.argv[1:]
facts = scan_tls_fast(host, ip, int(port), ca_bundle=Path(bundle), timeout=5.0)
print(facts["heartbleed"], facts["robot_result"], sorted(m for m in ("pydantic", "sslyze.plugins.heartbleed_plugin",
      "sslyze.plugins.robot.implementation") if m in sys.modules))
"""


@pytest.mark.parametrize(("site", "expected"), [
    ("good", "False NOT_VULNERABLE_RSA_NOT_SUPPORTED []"),
    ("legacy", "False NOT_VULNERABLE_NO_ORACLE ['pydantic', 'sslyze.plugins.heartbleed_plugin', "
               "'sslyze.plugins.robot.implementation']"),
])
def test_sslyze_plugins_load_only_for_servers_they_test(site: str, expected: str, world: World) -> None:
    """Their pydantic models cost ~0.1 s of CPU: a TLS 1.3 server without RSA key exchange never loads them."""
    target = world.site(site)
    result = subprocess.run([sys.executable, "-c", _LOADED_AFTER_SCAN, target.host, target.ip,
                             str(target.https_port), str(world.ca_bundle)],
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == expected


def test_the_robot_shortcut_names_sslyzes_own_result() -> None:
    from sslyze.plugins.robot.implementation import RobotScanResultEnum

    assert RobotScanResultEnum[ROBOT_RSA_NOT_SUPPORTED].name == ROBOT_RSA_NOT_SUPPORTED


# --- hostile endpoints ---------------------------------------------------------------------------


@pytest.fixture
def hostile_server() -> Iterator[Any]:
    """Start a loopback TCP server whose per-connection behaviour the test chooses."""
    servers: list[socket.socket] = []
    loops: list[threading.Thread] = []
    connections: list[socket.socket] = []  # closed at teardown: a behaviour may leave its socket open
    stop = threading.Event()

    def start(behaviour: Any) -> tuple[str, int]:
        server = socket.socket()
        server.bind(("127.0.0.61", 0))
        server.listen(64)
        server.settimeout(0.1)  # the accept loop looks at `stop` this often
        servers.append(server)

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                connections.append(conn)
                threading.Thread(target=behaviour, args=(conn,), daemon=True).start()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        loops.append(thread)
        return "127.0.0.61", server.getsockname()[1]

    yield start
    # Stop accepting before closing what was accepted: a connection accepted after the close loop
    # would be left to the garbage collector, whose ResourceWarning fails whichever test runs then.
    stop.set()
    for thread in loops:
        thread.join(5)
    for server in servers:
        server.close()
    for conn in connections:
        conn.close()


def test_silent_server_is_a_one_line_error_not_a_hang(hostile_server: Any) -> None:
    ip, port = hostile_server(lambda conn: threading.Event().wait(5))
    with pytest.raises(ProbeError, match="timed out"):
        scan_tls_fast("silent.example", ip, port, ca_bundle=None, timeout=1.0)


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.1 400 Bad Request\r\n\r\n", b"\x16\x03\x03\x00\x02\x02\x00" * 50,
                                   b"\x15\x03\x03\x00\x02\x02\x28"])
def test_garbage_answers_never_crash_or_pass(reply: bytes, hostile_server: Any) -> None:
    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(4096)
                conn.sendall(reply)
            except OSError:
                pass

    ip, port = hostile_server(answer)
    try:
        facts = scan_tls_fast("garbage.example", ip, port, ca_bundle=None, timeout=1.0)
    except ProbeError as exc:
        assert "\n" not in str(exc)
        return
    # If anything came back, nothing about this endpoint may read as good.
    assert facts["errors"]
    assert "pass" not in set(_c_statuses(facts).values())


def test_dribbling_server_cannot_stretch_a_handshake(hostile_server: Any) -> None:
    """A server sending a byte at a time stays under the socket timeout; the per-handshake budget ends it."""
    def dribble(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(4096)
                for byte in b"\x16\x03\x03\x40\x00" + b"\x00" * 200:
                    conn.sendall(bytes([byte]))
                    threading.Event().wait(0.2)
            except OSError:
                pass

    ip, port = hostile_server(dribble)
    clock = time.monotonic()
    with pytest.raises(ProbeError, match="timed out"):
        scan_tls_fast("dribble.example", ip, port, ca_bundle=None, timeout=1.0)
    assert time.monotonic() - clock < 3.0
