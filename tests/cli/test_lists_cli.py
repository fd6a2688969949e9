"""`trustscan lists import/show/remove`, URL imports through the audit's HTTP stack, and audit flags."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.input_files import KINDS, refused_file, within
from tests.world import World
from trustscan.cli.main import main
from trustscan.cli.options import blocklist_settings
from trustscan.core.errors import ListFetchError
from trustscan.core.settings import MAX_CA_BUNDLE_BYTES, NameServer
from trustscan.lists.fetch import fetch_list
from trustscan.lists.store import MAX_SNAPSHOT_BYTES
from trustscan.net.resolve import Resolver

LIST = "# do-not-visit\nbad.example\n*.casino.example\n203.0.113.0/24\nnot-a-domain\n"


def run(cache: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["lists", *args, "--cache-dir", str(cache)], input=stdin)


def assert_one_line_error(result: Result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustscan: error: "), result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.output


@pytest.fixture
def list_file(tmp_path: Path) -> Path:
    path = tmp_path / "tnm.txt"
    path.write_text(LIST, encoding="utf-8")
    return path


def test_import_show_remove(tmp_path: Path, list_file: Path) -> None:
    cache = tmp_path / "cache"
    imported = run(cache, "import", "tnm", str(list_file), "--source", "tinnhiemmang.gov.vn, 2026-03-01")
    assert imported.exit_code == 0, imported.output
    summary = "imported snapshot tnm: 3 entries (1 domain, 1 wildcard, 1 CIDR range), 1 line skipped, format text"
    assert summary in imported.stdout
    assert "skipped line 5: 'not-a-domain'" in imported.stdout
    shown = run(cache, "show")
    assert shown.exit_code == 0
    for needle in ("tnm\n", "source    tinnhiemmang.gov.vn, 2026-03-01", "entries   3 (1 line skipped", "sha256    ",
                   "min ago)"):
        assert needle in shown.stdout
    document = json.loads(run(cache, "show", "--json").stdout)
    (snapshot,) = document["snapshots"]
    assert snapshot["entries"] == 3 and snapshot["stale"] is False and len(snapshot["sha256"]) == 64
    assert run(cache, "show", "--max-age", "0").stdout.count("[STALE") == 1
    assert run(cache, "import", "tnm", str(list_file)).stdout.startswith("replaced snapshot tnm")
    removed = run(cache, "remove", "tnm")
    assert removed.exit_code == 0 and "removed snapshot tnm" in removed.stdout
    assert "no snapshots in" in run(cache, "show").stdout


def test_import_from_stdin(tmp_path: Path) -> None:
    result = run(tmp_path, "import", "pasted", "-", stdin="bad.example\n")
    assert result.exit_code == 0 and "1 entry (1 domain)" in result.stdout
    assert json.loads(run(tmp_path, "show", "--json").stdout)["snapshots"][0]["source"] == "stdin"


def test_cache_dir_comes_from_the_environment(tmp_path: Path, list_file: Path) -> None:
    result = CliRunner().invoke(main, ["lists", "import", "tnm", str(list_file)],
                                env={"TRUSTSCAN_CACHE_DIR": str(tmp_path / "env")})
    assert result.exit_code == 0 and (tmp_path / "env" / "tnm.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["import", "../escape", "LIST"], "invalid snapshot name"),
        (["import", "tnm", "/nonexistent/list.txt"], "cannot read /nonexistent/list.txt"),
        (["import", "tnm", "ftp://lists.example/x"], "only http:// and https://"),
        (["import", "tnm", "http://127.0.0.1:9/list.txt"], "refusing to connect to non-public address"),
        (["import", "tnm", "http://[::1"], "malformed URL"),
        (["remove", "ghost"], "no snapshot named 'ghost'"),
        (["import", "tnm"], "Missing argument"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, list_file: Path, args: list[str], needle: str) -> None:
    args = [str(list_file) if a == "LIST" else a for a in args]
    assert_one_line_error(run(tmp_path / "cache", *args), needle)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_a_file_without_entries_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 10)
    assert_one_line_error(run(tmp_path / "cache", "import", "junk", str(junk)), "binary data, not a text list")


def test_show_lists_a_broken_snapshot_instead_of_crashing(tmp_path: Path) -> None:
    tmp_path.joinpath("bad.json").write_text("{not json")
    result = run(tmp_path, "show")
    assert result.exit_code == 0 and "snapshot bad: unreadable metadata" in result.stdout


def test_audit_options_map_onto_settings(tmp_path: Path) -> None:
    settings = blocklist_settings(blocklists=(tmp_path / "a.txt",), cache_dir=tmp_path, max_list_age=3,
                                  dnsbl_domain=("DBL.Example.",), dnsbl_ip=())
    assert settings == {"blocklist_files": (tmp_path / "a.txt",), "lists_dir": tmp_path, "max_snapshot_age_days": 3,
                        "dnsbl_domain_zones": ("dbl.example",), "dnsbl_ip_zones": ()}


def test_audit_rejects_a_bad_dnsbl_zone_and_a_missing_blocklist() -> None:
    for args, needle in ((["--dnsbl-ip", "not a zone"], "is not a DNS zone name"),
                         (["--blocklist", "/nonexistent.txt"], "does not exist")):
        result = CliRunner().invoke(main, ["audit", "example.vn", *args])
        assert result.exit_code == 2 and needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- URL imports ----------------------------------------------------------------------------------


class _ListServer(BaseHTTPRequestHandler):
    """A small hostile list server: a list, a redirect loop, a huge body, a tarpit, a 404."""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path == "/list.txt":
            self._send(200, LIST.encode())
        elif self.path == "/moved":
            self._redirect("/list.txt")
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/huge":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"bad.example\n" * 10_000)
            except OSError:
                pass
        elif self.path == "/slow":
            time.sleep(3)
            # The client gave up long ago: writing to its closed connection must not print a traceback
            # from this thread into whichever later test is capturing stderr.
            with contextlib.suppress(OSError):
                self._send(200, LIST.encode())
        else:
            self._send(404, b"nope")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def list_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ListServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_import_follows_a_redirect(tmp_path: Path, list_server: str) -> None:
    result = run(tmp_path, "import", "remote", f"{list_server}/moved", "--allow-private")
    assert result.exit_code == 0, result.output
    snapshot = json.loads(run(tmp_path, "show", "--json").stdout)["snapshots"][0]
    assert snapshot["source"] == f"{list_server}/moved" and snapshot["entries"] == 3


def fetch(url: str, *, cap: int = 1_000_000, timeout: float = 5.0, **kwargs: object) -> bytes:
    resolver = Resolver(NameServer("127.0.0.1", 9), timeout=0.5)
    return asyncio.run(fetch_list(url, resolver=resolver, cap=cap, timeout=timeout, allow_private=True,
                                  **kwargs)).data  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "limits", "needle"),
    [("/loop", {}, "more than 5 redirects"), ("/huge", {"cap": 100_000}, "larger than"),
     ("/slow", {"timeout": 1.0}, "took longer than 1s"), ("/missing", {}, "answered HTTP 404")],
)
def test_hostile_list_servers_are_bounded(list_server: str, path: str, limits: dict, needle: str) -> None:
    clock = time.monotonic()
    with pytest.raises(ListFetchError, match=needle):
        fetch(f"{list_server}{path}", **limits)
    assert time.monotonic() - clock < 3.0


def test_https_import_verifies_the_certificate(world: World) -> None:
    resolver = Resolver(NameServer(world.dns_ip, world.dns_port), timeout=2.0)

    def get(site: str) -> bytes:
        url = world.site(site).https_url("/")
        return asyncio.run(fetch_list(url, resolver=resolver, cap=100_000, timeout=10, allow_private=True,
                                      ca_bundle=world.ca_bundle)).data

    assert world.site("good").host.encode() in get("good")
    with pytest.raises(ListFetchError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        get("selfsigned")


# --- user-given files that are not regular files within their cap ----------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_import_refuses_a_fifo_or_oversize_file_at_once(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "list.txt", MAX_SNAPSHOT_BYTES)
    needle = f"cannot read {path}: not a regular file" if kind == "fifo" else f"{path} is larger than 64 MiB"
    with within(5):
        assert_one_line_error(run(tmp_path / "cache", "import", "tnm", str(path)), needle)


@pytest.mark.parametrize("kind", KINDS)
def test_url_import_refuses_a_fifo_or_oversize_ca_bundle_at_once(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "ca.pem", MAX_CA_BUNDLE_BYTES)
    needle = "not a regular file" if kind == "fifo" else "larger than"
    with within(5):
        result = run(tmp_path / "cache", "import", "tnm", "https://127.0.0.1:9/list.txt", "--ca-bundle", str(path))
    assert_one_line_error(result, f"cannot read CA bundle {path}: {needle}")


@pytest.mark.parametrize("kind", KINDS)
def test_audit_refuses_a_fifo_or_oversize_blocklist_before_scanning(tmp_path: Path, kind: str) -> None:
    path = refused_file(kind, tmp_path / "list.txt", MAX_SNAPSHOT_BYTES)
    needle = "not a regular file" if kind == "fifo" else "larger than"
    with within(5):
        result = CliRunner().invoke(main, ["audit", "example.invalid", "--blocklist", str(path)])
    assert_one_line_error(result, f"cannot read blocklist {path}: {needle}")
