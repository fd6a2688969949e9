"""Why a connection, a DNS query or an HTTP exchange failed, as a Wording (`error.cause.*`).

The one classifier of the exceptions the network code sees (the operating system's, dnspython's,
ssl's, httpx's and httpcore's) into sentences every output can word in its own language: "connection
refused", "timed out", "the name does not exist (NXDOMAIN)", "the certificate has expired". The
reason is read from the exception's type and errno, walking the chain of causes that httpx wraps
around the socket's error; text is read only where a library gives nothing else (an errno that
httpcore left in its message, httpx's "server disconnected"). The refusal of a non-public address
is raised with its Wording already (`net.resolve.refused_connection`). An exception it does not
know is told as its kind and its message, quoted as observed ("OSError: [Errno 24] Too many open
files").
"""

from __future__ import annotations

import errno
import re
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

import dns.exception
import dns.resolver
import httpcore
import httpx

from trustscan.core.wordings import Wording

__all__ = ["classify", "error_fields", "other", "recorded_cause", "reported"]

_MAX_DETAIL = 200
_ERRNO = re.compile(r"\[Errno (\d+)\]")
_BY_ERRNO = {
    errno.ECONNREFUSED: "error.cause.refused",
    errno.ECONNRESET: "error.cause.reset",
    errno.EPIPE: "error.cause.reset",
    errno.ECONNABORTED: "error.cause.reset",
    errno.ETIMEDOUT: "error.cause.timeout",
    errno.EHOSTUNREACH: "error.cause.host_unreachable",
    errno.EHOSTDOWN: "error.cause.host_unreachable",
    errno.ENETUNREACH: "error.cause.network_unreachable",
    errno.ENETDOWN: "error.cause.network_unreachable",
}
#: OpenSSL's X509_V_ERR_* codes a reader can act on (x509_vfy.h); the others keep OpenSSL's own words.
_CERTIFICATE = {
    10: "error.cause.cert_expired",
    18: "error.cause.cert_self_signed",
    19: "error.cause.cert_self_signed",
    20: "error.cause.cert_unknown_issuer",
    21: "error.cause.cert_unknown_issuer",
    62: "error.cause.cert_hostname",
}


def classify(exc: BaseException) -> Wording:
    """The cause of *exc* as a Wording; never raises."""
    chain = list(_chain(exc))
    for link in chain:  # trustscan's own sentence (a DNS error met while connecting) wins
        wording = getattr(link, "wording", None)
        if isinstance(wording, Wording):
            return wording
    for link in chain:
        found = _known(link)
        if found is not None:
            return found
    for link in chain:  # an errno only in the text, as httpcore words some socket errors
        number = _ERRNO.search(str(link))
        if number and int(number.group(1)) in _BY_ERRNO:
            return Wording(_BY_ERRNO[int(number.group(1))])
    return other(exc)


def other(exc: BaseException) -> Wording:
    """An exception nobody classified: its kind, and its message quoted as observed (one line, bounded)."""
    detail = " ".join(str(exc).split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    return Wording("error.cause.other", {"kind": type(exc).__name__, "detail": detail or "—"})


def reported(detail: object) -> Wording:
    """What a library said, quoted as it said it (one line, bounded), for a frame that words the rest."""
    text = " ".join(str(detail).split())
    return Wording("error.cause.reported", {"detail": (text[: _MAX_DETAIL - 1] + "…") if len(text) > _MAX_DETAIL
                                            else text or "—"})


def error_fields(wording: Wording) -> dict[str, Any]:
    """What a record of a failed fetch keeps: the English sentence (`error`) and the Wording (`error_wording`)."""
    return {"error": wording.english(), "error_wording": wording.to_json()}


def recorded_cause(record: Mapping[str, Any]) -> Wording:
    """The cause a record kept with `error_fields`; an HTTP status when it has no error; else its text quoted."""
    wording = Wording.from_json(record.get("error_wording"))
    if wording is not None:
        return wording
    if record.get("error") is None and record.get("status") is not None:
        return Wording("error.cause.http_status", {"status": record["status"]})
    return reported(record.get("error") or "—")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """*exc*, then what it was raised from or during (httpx -> httpcore -> the socket's OSError)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    pending: list[BaseException] = []
    while link is not None and len(seen) < 16:
        if id(link) not in seen:
            seen.add(id(link))
            yield link
            pending += [e for e in (link.__cause__, link.__context__) if e is not None]
        link = pending.pop(0) if pending else None


def _known(exc: BaseException) -> Wording | None:
    if isinstance(exc, httpx.TooManyRedirects):
        return Wording("error.cause.too_many_redirects")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return Wording("error.cause.invalid_url")
    if isinstance(exc, ssl.SSLCertVerificationError):
        message_id = _CERTIFICATE.get(exc.verify_code)
        if message_id is not None:
            return Wording(message_id)
        return Wording("error.cause.cert_verify", {"reason": exc.verify_message or exc.reason or str(exc)})
    if isinstance(exc, ssl.SSLError):
        return Wording("error.cause.tls", {"detail": exc.reason or " ".join(str(exc).split())})
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return Wording("error.cause.dns_nxdomain")
    if isinstance(exc, dns.resolver.NoAnswer):
        return Wording("error.cause.dns_no_answer")
    if isinstance(exc, dns.resolver.NoNameservers):
        return Wording("error.cause.dns_failure")
    if isinstance(exc, TimeoutError | dns.exception.Timeout | httpx.TimeoutException | httpcore.TimeoutException):
        return Wording("error.cause.timeout")
    if isinstance(exc, OSError) and exc.errno in _BY_ERRNO:
        return Wording(_BY_ERRNO[exc.errno])
    if isinstance(exc, ConnectionRefusedError):
        return Wording("error.cause.refused")
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return Wording("error.cause.reset")
    if isinstance(exc, httpx.RemoteProtocolError | httpcore.RemoteProtocolError):
        if "without sending" in str(exc) or "disconnected" in str(exc).lower():
            return Wording("error.cause.closed")
        return Wording("error.cause.http_protocol")
    if isinstance(exc, httpx.ProtocolError | httpcore.ProtocolError | httpx.DecodingError):
        return Wording("error.cause.http_protocol")
    return None
