"""The `--ca-bundle` trust store is built once per file version, and a changed file is read again."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from trustscan.collect.tls import compat
from trustscan.collect.tls.facts import ServedCertificate
from trustscan.localworld.ca import LocalCA

HOST = "store.trustscan.test"


def _chain(ca: LocalCA) -> tuple[str, ...]:
    now = dt.datetime.now(dt.UTC)
    issued = ca.issue([HOST], name="store", not_before=now - dt.timedelta(days=1),
                      not_after=now + dt.timedelta(days=30))
    text = issued.cert_path.read_text()
    return tuple(f"-----BEGIN CERTIFICATE-----{part}" for part in text.split("-----BEGIN CERTIFICATE-----")[1:])


def test_the_supplied_store_is_parsed_once_and_again_when_the_file_changes(tmp_path: Path) -> None:
    first, second = LocalCA(tmp_path / "one"), LocalCA(tmp_path / "two")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(first.root_path.read_bytes())
    built = compat._supplied_store.cache_info().misses

    for _ in range(3):
        served = compat.validate_served_chain(HOST, _chain(first), bundle)
        assert isinstance(served, ServedCertificate) and served.trusted_by == ("Supplied CA file",)
    assert compat._supplied_store.cache_info().misses == built + 1

    # Another CA's root in the same file (a new version: size and mtime change): trusted by it only.
    bundle.write_bytes(second.root_path.read_bytes() + b"\n")
    os.utime(bundle, ns=(bundle.stat().st_atime_ns, bundle.stat().st_mtime_ns + 10**9))
    assert compat.validate_served_chain(HOST, _chain(first), bundle).trusted_by == ()  # type: ignore[union-attr]
    assert compat.validate_served_chain(HOST, _chain(second), bundle).trusted_by == ("Supplied CA file",)  # type: ignore[union-attr]
    assert compat._supplied_store.cache_info().misses == built + 2
