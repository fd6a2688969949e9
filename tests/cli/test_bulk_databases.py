"""`--db` takes an SQLite path or a PostgreSQL URL: embedded bulk and `portfolio` on a real PostgreSQL.

The sites are loopback addresses audited without --allow-private, so each one is an `address refused`
row at once and nothing reaches a network; what is under test is the database path, not the audit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.services import Postgres
from trustscan.bulk.endpoints import POSTGRES_SCHEMES, EndpointError, mask_url, parse_endpoint, scrub
from trustscan.bulk.store import ResultStore
from trustscan.cli.main import main

SECRET = "s3cr3t-Passw0rd"


def portfolio(tmp_path: Path, n: int = 3) -> Path:
    path = tmp_path / "p.txt"
    path.write_text("".join(f"127.0.0.{i + 1}:9\n" for i in range(n)), encoding="utf-8")
    return path


def with_password(url: str) -> str:
    return url.replace("trustscan@", f"trustscan:{SECRET}@")  # trust auth: the password is accepted, unused


def test_embedded_bulk_into_postgresql_and_the_dashboard_reads_it(pg_url: str, tmp_path: Path) -> None:
    url = with_password(pg_url)
    result = CliRunner().invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", url, "--lang", "en"])
    assert result.exit_code == 3, result.output  # every site refused: nothing could be checked
    assert "3 of 3 sites" in result.output and SECRET not in result.output
    with ResultStore(pg_url, create=False) as store:
        assert [r.status for r in store.runs()] == ["complete"]
        assert {row.error.split(":")[0] for _, row in store.results(1) if row} == {"address refused"}
    exported = CliRunner().invoke(main, ["portfolio", url, "--format", "json", "--lang", "en"])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["totals"]["sites"] == 3 and SECRET not in exported.output


def timeless(value: Any) -> Any:
    """The dashboard data without what differs between two runs of the same sites: times and paths."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items()
                if not (k.endswith("_at") or k in ("since", "duration", "portfolio"))}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def test_the_same_run_gives_the_same_dashboard_on_both_backends(pg_url: str, tmp_path: Path) -> None:
    sqlite = tmp_path / "r.db"
    runner = CliRunner()
    for db in (str(sqlite), pg_url):
        assert runner.invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", db, "-q"]).exit_code == 3
    one, two = (timeless(json.loads(runner.invoke(main, ["portfolio", db, "--format", "json"]).output))
                for db in (str(sqlite), pg_url))
    assert one == two


def test_a_second_bulk_on_the_same_postgresql_database_is_refused(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as held:
        from trustscan.bulk.database import _LOCK_KEY

        held.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))  # as a running bulk holds it
        result = CliRunner().invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", pg_url])
    assert result.exit_code == 2 and "another trustscan bulk is using postgresql://" in result.output


@pytest.mark.parametrize("command", ["bulk", "portfolio"])
def test_unreachable_database_is_one_masked_line_exit_2(command: str, tmp_path: Path,
                                                         postgres_server: Postgres) -> None:
    from trustscan.localworld.sites import free_port

    url = f"postgresql://trustscan:{SECRET}@127.0.0.1:{free_port()}/nothing"
    args = ["bulk", str(portfolio(tmp_path)), "--db", url] if command == "bulk" else ["portfolio", url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and SECRET not in result.output
    assert "postgresql://trustscan:****@127.0.0.1" in result.output and "Traceback" not in result.output


def test_an_empty_postgresql_database_is_not_read_as_a_results_database(pg_url: str) -> None:
    result = CliRunner().invoke(main, ["portfolio", pg_url])
    assert result.exit_code == 2 and "is not a usable trustscan database" in result.output


@pytest.mark.parametrize("url", [f"postgresql://u:{SECRET}@10.0.0.5/db", f"postgresql://u:{SECRET}@db.example/db",
                                 f"postgresql://u@[2001:db8::1]/db?password={SECRET}"])
def test_clear_text_database_off_loopback_is_refused_without_the_flag(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", url])
    assert result.exit_code == 2 and "does not use TLS" in result.output and "--insecure-transport" in result.output
    assert SECRET not in result.output and "****" in result.output
    endpoint = parse_endpoint(url, POSTGRES_SCHEMES, "database")
    endpoint.check_transport(True, "database")  # --insecure-transport accepts it
    with_tls = url + ("&" if "?" in url else "?") + "sslmode=verify-full"
    parse_endpoint(with_tls, POSTGRES_SCHEMES, "database").check_transport(False, "database")


def test_loopback_and_sockets_need_no_tls() -> None:
    for url in ("postgresql://u@127.0.0.2/db", "postgresql://u@[::1]:5433/db", "postgresql://u@localhost/db",
                "postgresql:///db?host=/run/postgresql", "redis://127.0.0.1:6379/0"):
        scheme = ("redis",) if url.startswith("redis") else POSTGRES_SCHEMES
        parse_endpoint(url, scheme, "x").check_transport(False, "x")
    with pytest.raises(EndpointError, match="rediss://"):
        parse_endpoint("redis://:pw@10.1.1.1:6379/0", ("redis", "rediss"), "broker").check_transport(False, "broker")
    parse_endpoint("rediss://:pw@10.1.1.1:6379/0", ("redis", "rediss"), "broker").check_transport(False, "broker")


def test_masking_keeps_everything_but_the_password() -> None:
    assert mask_url(f"postgresql://scan:{SECRET}@db:5432/t?sslmode=require") == \
        "postgresql://scan:****@db:5432/t?sslmode=require"
    assert mask_url(f"redis://:{SECRET}@h:6379/0") == "redis://:****@h:6379/0"
    assert mask_url(f"postgresql://scan@db/t?password={SECRET}&sslmode=require") == \
        "postgresql://scan@db/t?password=****&sslmode=require"
    assert mask_url("postgresql://scan@db/t") == "postgresql://scan@db/t"
    assert SECRET not in scrub(f"failed for redis://:{SECRET}@h and {SECRET}",
                               parse_endpoint(f"redis://:{SECRET}@h", ("redis",), "broker"))


def test_another_url_scheme_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bulk", str(portfolio(tmp_path)), "--db", f"mysql://u:{SECRET}@h/db"])
    assert result.exit_code == 2 and "must start with postgresql:// or postgres://" in result.output
    assert SECRET not in result.output
