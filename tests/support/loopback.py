"""Loopback helpers for network tests: a port nothing listens on, and a self-signed server TLS context."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path


def closed_port() -> int:
    """A loopback port that was free a moment ago: bound, then closed again, so nothing listens there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """A server context with a self-signed P-256 certificate for `localhost`, made by openssl; the key and
    certificate (valid two days) are written into *folder*."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
