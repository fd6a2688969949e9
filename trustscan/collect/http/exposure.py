"""Sensitive files a web server must not serve (criterion a): VCS metadata, secrets, status pages,
backups and directory listings.

Circular 12/2022/TT-BTTTT and TCVN 11930:2017 require that configuration, source and
administrative interfaces are not exposed; these paths are what attackers request first (OWASP
WSTG-CONF-04 "Review old backup and unreferenced files", WSTG-CONF-05 admin interfaces).

A status 200 proves nothing: many sites answer *every* path with 200 and their home page (a
catch-all or "soft 404"). So every candidate's body must pass a content check for what it claims
to be (a Git HEAD reference, KEY=value lines, an archive signature...), and a check that also
passes on the answer to a random path (the baseline) is inconclusive, never a finding. Bodies are
read only up to a small cap; a candidate that cannot be fetched leaves its kind unknown (None),
so it cannot pass.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from trustscan.core.errors import ProbeError
from trustscan.core.wordings import Wording
from trustscan.net.failures import classify, error_fields, recorded_cause, reported
from trustscan.net.httpclient import plain_stream, read_capped

__all__ = ["CANDIDATES", "KINDS", "Candidate", "Fetched", "judge_candidate", "probe_exposure"]

BODY_CAP = 16 * 1024
# Two requests in flight: the probe shares the audit's 4-connection pool with the other HTTP probes.
CONCURRENCY = 2
MAX_EVIDENCE = 120

# body -> what was seen when the content is what the path claims: a Wording (`exposure.*`), so the report keeps
# its English and says it in any language; the parts quoted from the body are cut to MAX_QUOTED characters.
Check = Callable[[bytes], Wording | None]
MAX_QUOTED = 100


def _git_head(body: bytes) -> Wording | None:
    match = re.match(rb"\s*(ref: refs/[\x21-\x7e]{1,200}|[0-9a-f]{40}|[0-9a-f]{64})\s*$", body)
    return Wording("exposure.git_head", {"ref": _quoted(match.group(1))}) if match else None


def _git_config(body: bytes) -> Wording | None:
    return Wording("exposure.git_config") if b"[core]" in body and b"repositoryformatversion" in body else None


_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]{0,80})\s*=", re.MULTILINE)


def _dotenv(body: bytes) -> Wording | None:
    text = body.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    names = _ENV_LINE.findall("\n".join(lines))
    # Mostly KEY=value lines, at least two, and not markup: a dotenv file, not a page mentioning one.
    if len(names) < 2 or len(names) < 0.6 * len(lines) or text.lstrip().startswith("<"):
        return None
    shown = ", ".join(names[:6]) + (f" (+{len(names) - 6})" if len(names) > 6 else "")
    # names only: values are secrets
    return Wording("exposure.dotenv", {"count": len(names), "names": shown[:MAX_QUOTED]})


def _server_status(body: bytes) -> Wording | None:
    if b"Apache Server Status" in body or (b"Server uptime" in body and b"requests currently being processed" in body):
        return Wording("exposure.apache_status")
    match = re.match(rb"Active connections: (\d+)", body)
    return Wording("exposure.nginx_status", {"connections": int(match.group(1))}) if match else None


def _phpinfo(body: bytes) -> Wording | None:
    if b"<title>phpinfo()</title>" in body or (b"PHP Version" in body and b"PHP License" in body):
        match = re.search(rb"PHP Version\s*(?:</[^>]{1,10}>\s*<[^>]{1,40}>\s*)?([0-9][0-9A-Za-z.+-]{0,30})", body)
        return Wording("exposure.phpinfo_version", {"version": _quoted(match.group(1))}) if match else Wording(
            "exposure.phpinfo")
    return None


_ARCHIVE_MAGIC = ((b"PK\x03\x04", "ZIP"), (b"\x1f\x8b", "gzip"), (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
                  (b"Rar!\x1a\x07", "RAR"), (b"BZh", "bzip2"))


def _archive(body: bytes) -> Wording | None:
    for magic, name in _ARCHIVE_MAGIC:
        if body.startswith(magic):
            return Wording("exposure.archive", {"format": name})
    return Wording("exposure.archive", {"format": "tar"}) if body[257:262] == b"ustar" else None


_SQL = re.compile(rb"^\s*(-- MySQL dump|-- MariaDB dump|-- PostgreSQL database dump|CREATE TABLE|INSERT INTO)",
                  re.IGNORECASE | re.MULTILINE)


def _sql_dump(body: bytes) -> Wording | None:
    match = _SQL.search(body)
    if match is None or body.lstrip()[:1] == b"<":
        return None
    return Wording("exposure.sql_dump", {"first": _quoted(match.group(1))})


_LISTING = re.compile(rb"<title>\s*(Index of /[^<]{0,200}|Directory listing for /[^<]{0,200})</title>|"
                      rb"\[To Parent Directory\]", re.IGNORECASE)


def _listing(body: bytes) -> Wording | None:
    match = _LISTING.search(body)
    if match is None:
        return None
    if match.group(1) is None:
        return Wording("exposure.listing_iis")
    return Wording("exposure.listing", {"title": _quoted(match.group(1))})


def _quoted(part: bytes) -> str:
    """A part of the body shown as evidence: printable, at most MAX_QUOTED characters."""
    return _cap(part.decode("utf-8", "replace"), MAX_QUOTED)


@dataclass(frozen=True)
class Candidate:
    """One path to request, the kind of exposure it would be, and its content check."""

    path: str
    kind: str
    check: Check


#: Rule facts are `exposure.<kind>`; order is the order of the report.
KINDS = ("vcs", "env", "status_pages", "backups", "listings")

CANDIDATES: tuple[Candidate, ...] = (
    Candidate("/.git/HEAD", "vcs", _git_head),
    Candidate("/.git/config", "vcs", _git_config),
    Candidate("/.env", "env", _dotenv),
    Candidate("/server-status", "status_pages", _server_status),
    Candidate("/nginx_status", "status_pages", _server_status),
    Candidate("/phpinfo.php", "status_pages", _phpinfo),
    Candidate("/info.php", "status_pages", _phpinfo),
    Candidate("/backup.zip", "backups", _archive),
    Candidate("/backup.tar.gz", "backups", _archive),
    Candidate("/www.zip", "backups", _archive),
    Candidate("/backup.sql", "backups", _sql_dump),
    Candidate("/database.sql", "backups", _sql_dump),
    Candidate("/", "listings", _listing),
    Candidate("/uploads/", "listings", _listing),
    Candidate("/backup/", "listings", _listing),
)


@dataclass(frozen=True)
class Fetched:
    status: int | None
    body: bytes = b""
    error: str | None = None
    wording: Wording | None = None  # `error` as a Wording


def judge_candidate(candidate: Candidate, fetched: Fetched, baseline: Fetched) -> tuple[str, Wording | None]:
    """("finding" | "clean" | "inconclusive" | "unreachable", what was seen, or why it could not be fetched)."""
    if fetched.status is None:
        return "unreachable", fetched.wording
    if not 200 <= fetched.status < 300:
        return "clean", None
    evidence = candidate.check(fetched.body)
    if evidence is None:
        return "clean", None
    baseline_ok = baseline.status is not None and 200 <= baseline.status < 300
    if baseline_ok and (fetched.body == baseline.body or candidate.check(baseline.body) is not None):
        # The site answers a random path the same way: the content proves nothing about this path.
        return "inconclusive", evidence
    return "finding", evidence


async def probe_exposure(client: httpx.AsyncClient, origin: str, *, timeout: float) -> dict[str, Any]:
    """Request every candidate and a random baseline path; facts per kind of exposure.

    `timeout` bounds each whole request, body included (a slow-drip answer cannot hold the probe);
    the audit deadline bounds the probe as a whole.
    """
    semaphore = asyncio.Semaphore(CONCURRENCY)
    baseline_path = f"/trustscan-{secrets.token_hex(8)}/{secrets.token_hex(4)}.txt"
    # The baseline first: without it no content can be judged, so a dead site costs one request, not 16.
    baseline = await _fetch(client, origin + baseline_path, semaphore, timeout)
    if baseline.status is None:
        raise ProbeError("error.exposure.baseline", url=origin + baseline_path,
                         cause=baseline.wording or reported(baseline.error))
    results = await asyncio.gather(*(_fetch(client, origin + c.path, semaphore, timeout) for c in CANDIDATES))
    findings: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    unknown_kinds: set[str] = set()
    unreachable, inconclusive = [], []
    for candidate, fetched in zip(CANDIDATES, results, strict=True):
        outcome, evidence = judge_candidate(candidate, fetched, baseline)
        if outcome == "finding" and evidence is not None:
            # What was seen in English (capped) and as a Wording beside it, for every output's language.
            findings[candidate.kind].append({"path": candidate.path, "status": fetched.status,
                                             "evidence": _cap(evidence.english()),
                                             "evidence_wording": evidence.to_json()})
        elif outcome == "unreachable":
            unknown_kinds.add(candidate.kind)
            unreachable.append({"path": candidate.path, "error": fetched.error,
                                **(error_fields(fetched.wording) if fetched.wording else {})})
        elif outcome == "inconclusive":
            inconclusive.append(candidate.path)
    if len(unreachable) == len(CANDIDATES):
        raise ProbeError("error.exposure.unreachable", cause=recorded_cause(unreachable[0]))
    facts: dict[str, Any] = {
        # A kind with a finding is known to be exposed; with no finding but a failed request it is unknown.
        kind: (found if found or kind not in unknown_kinds else None) for kind, found in findings.items()
    }
    facts.update({
        "baseline": {"path": baseline_path, "status": baseline.status, "length": len(baseline.body),
                     "catch_all": 200 <= baseline.status < 300},
        "checked": [c.path for c in CANDIDATES],
        "inconclusive": inconclusive,
        "unreachable": unreachable,
    })
    return facts


async def _fetch(client: httpx.AsyncClient, url: str, semaphore: asyncio.Semaphore, timeout: float) -> Fetched:
    """GET with a capped body and a whole-request time limit (a slow-drip body cannot hold the probe)."""
    async with semaphore:
        try:
            async with asyncio.timeout(timeout):  # no task per request, as asyncio.wait_for would make
                return await _get(client, url)
        except TimeoutError:
            slow = Wording("error.slow_answer", {"seconds": f"{timeout:.0f}"})
            return Fetched(None, error=slow.english(), wording=slow)
        except Exception as exc:  # noqa: BLE001 - one bad answer makes that path unknown, never the probe crash
            cause = classify(exc)
            return Fetched(None, error=_cap(cause.english()), wording=cause)


async def _get(client: httpx.AsyncClient, url: str) -> Fetched:
    # As an anonymous visitor would ask (no cookie the site set earlier in the audit), and cheaper.
    async with plain_stream(client, url) as response:
        body, _truncated = await read_capped(response, BODY_CAP)
        return Fetched(response.status_code, body)


def _cap(text: str, limit: int = MAX_EVIDENCE) -> str:
    line = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"
