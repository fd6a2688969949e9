"""cli.startup: the collector's thresholds while a process starts and once its work begins."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from trustscan.cli import startup


@pytest.fixture
def collector() -> Iterator[None]:
    """Run a test against CPython's default thresholds; give the test process its own back after."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    startup._saved.clear()
    yield
    startup._saved.clear()
    gc.unfreeze()
    gc.set_threshold(*saved)


def test_start_up_collects_rarely_then_the_defaults_come_back(collector: None) -> None:
    startup.defer_collection()
    assert gc.get_threshold() == (startup.STARTUP_THRESHOLD, 10, 10)
    startup.startup_done()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() > 0  # what start-up made is out of later collections


def test_a_process_auditing_many_sites_collects_its_first_generation_in_bigger_batches(collector: None) -> None:
    startup.defer_collection()
    startup.startup_done(many_audits=True)
    assert gc.get_threshold() == (startup.MANY_AUDITS_THRESHOLD, 10, 10)


def test_many_audits_applies_without_the_deferred_start(collector: None) -> None:
    """A process that never deferred (a test, an embedding program) still gets the batch size."""
    startup.startup_done(many_audits=True)
    assert gc.get_threshold() == (startup.MANY_AUDITS_THRESHOLD, 10, 10)
    startup.startup_done()
    assert gc.get_threshold() == (startup.MANY_AUDITS_THRESHOLD, 10, 10)  # nothing saved: left as it is
