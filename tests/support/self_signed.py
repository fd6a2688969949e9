"""A server-side TLS context with a self-signed P-256 certificate for `localhost`, made by openssl."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """Writes key.pem and cert.pem (valid two days) into *folder*; returns a server context serving them."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
