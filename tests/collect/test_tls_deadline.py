"""Both TLS paths honour the audit's deadline: no handshake after it, one-line ProbeError instead."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.world import World
from trustscan.collect.base import Deadline
from trustscan.collect.tls.deep import scan_tls
from trustscan.collect.tls.fast import scan_tls_fast
from trustscan.collect.tls.handshake import HandshakeCounter
from trustscan.core.errors import ProbeError

_IP = "127.0.0.62"


@dataclass
class Tarpit:
    """A loopback port that accepts connections and never answers; counts what it accepted."""

    port: int
    accepted: int = 0


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    server = socket.create_server((_IP, 0), backlog=64)
    server.settimeout(0.05)
    pit = Tarpit(server.getsockname()[1])
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            pit.accepted += 1
            held.append(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield pit
    stop.set()
    thread.join()
    server.close()
    for conn in held:
        conn.close()


@dataclass(frozen=True)
class ExpiresAfterChecks(Deadline):
    """A deadline that passes after `checks` looks at it: "the audit gave up mid-scan", deterministically."""

    checks: int = 0
    seen: list[int] | None = None

    @property
    def expired(self) -> bool:
        assert self.seen is not None
        self.seen.append(1)
        return len(self.seen) > self.checks


@pytest.mark.parametrize("scan", [scan_tls_fast, scan_tls], ids=["fast", "deep"])
def test_expired_deadline_ends_the_scan_before_any_handshake(scan: object, tarpit: Tarpit) -> None:
    with pytest.raises(ProbeError, match=r"^audit deadline reached$"):
        scan(f"{_IP}.example", _IP, tarpit.port, ca_bundle=None, timeout=5.0,  # type: ignore[operator]
             deadline=Deadline.after(-1))
    time.sleep(0.1)
    assert tarpit.accepted == 0


def test_expired_deadline_sends_no_client_hello() -> None:
    counter = HandshakeCounter()
    with pytest.raises(ProbeError, match="audit deadline reached"):
        scan_tls_fast("x.example", _IP, 9, ca_bundle=None, timeout=5.0, counter=counter, deadline=Deadline.after(0))
    assert (counter.connections, counter.client_hellos) == (0, 0)


@pytest.mark.parametrize("scan", [scan_tls_fast, scan_tls], ids=["fast", "deep"])
def test_tarpit_cannot_hold_a_scan_past_the_deadline(scan: object, tarpit: Tarpit) -> None:
    """The network timeout is 10 s; the deadline, 1 s away, ends the scan - as a deadline, not "timed out"."""
    clock = time.monotonic()
    with pytest.raises(ProbeError, match=r"^audit deadline reached$"):
        scan(f"{_IP}.example", _IP, tarpit.port, ca_bundle=None, timeout=10.0,  # type: ignore[operator]
             deadline=Deadline.after(1.0))
    assert time.monotonic() - clock < 2.5


def test_no_handshake_after_the_deadline_passes_mid_scan(world: World) -> None:
    site = world.site("good")
    full = HandshakeCounter()
    scan_tls_fast(site.host, site.ip, site.https_port, ca_bundle=world.ca_bundle, timeout=5.0, counter=full)
    assert full.connections > 3
    counter = HandshakeCounter()
    deadline = ExpiresAfterChecks(at=time.monotonic() + 60, checks=3, seen=[])
    with pytest.raises(ProbeError, match=r"^audit deadline reached$"):
        scan_tls_fast(site.host, site.ip, site.https_port, ca_bundle=world.ca_bundle, timeout=5.0, counter=counter,
                      deadline=deadline)
    # every connection is preceded by a look at the deadline; none is opened once it has passed
    assert 0 < counter.connections <= 3 < full.connections


def test_a_deadline_far_away_changes_nothing(world: World) -> None:
    site = world.site("legacy")
    kwargs = {"ca_bundle": world.ca_bundle, "timeout": 5.0}
    plain = scan_tls_fast(site.host, site.ip, site.https_port, **kwargs)  # type: ignore[arg-type]
    bounded = scan_tls_fast(site.host, site.ip, site.https_port, deadline=Deadline.after(60),
                            **kwargs)  # type: ignore[arg-type]
    for facts in (plain, bounded):
        facts["certificate"].pop("days_left")
    assert bounded == plain
