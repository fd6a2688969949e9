"""Minimal clients for tests of the world itself: HTTP(S) to a pinned IP with the real Host/SNI; DNS answers."""

from __future__ import annotations

import http.client
import socket
import ssl
import warnings
from dataclasses import dataclass

import dns.message


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(
    ip: str, port: int, host: str, path: str = "/", *, tls: ssl.SSLContext | None = None, timeout: float = 5.0
) -> Response:
    """GET *path* from *ip*:*port* with ``Host: host`` (and SNI *host* over TLS when *tls* is given)."""
    sock = socket.create_connection((ip, port), timeout=timeout)
    try:
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock  # already connected (and TLS-wrapped) to the pinned address
        conn.request("GET", path, headers={"Host": f"{host}:{port}", "Connection": "close"})
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        sock.close()


def trusting(ca_bundle) -> ssl.SSLContext:
    """A strict client context trusting only *ca_bundle*."""
    return ssl.create_default_context(cafile=str(ca_bundle))


def lax(minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A context that accepts anything: no verification, old protocols, @SECLEVEL=0."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 on purpose
        ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    return ctx


def addresses(response: dns.message.Message) -> list[str]:
    """The A/AAAA addresses of a DNS response, in answer order."""
    return [rdata.address for rrset in response.answer for rdata in rrset]
