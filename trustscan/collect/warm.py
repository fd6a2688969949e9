"""Load ahead what an audit otherwise loads on first use: for a process that will audit many sites.

The probes import their heavy libraries and read the shipped data files at first use, which keeps
a one-site `trustscan audit` and `--help` quick. A worker process of `bulk --processes` would pay
the same ~0.4 s of CPU inside its first audits, after the bulk process had planned the run; it
calls `warm_up` while the bulk process is still starting, when a core is idle. Loading is all this
does: a module or file missing from here is loaded on first use, as before (a test lists what a
warm process still imports during a real audit).
"""

from __future__ import annotations

import importlib

# The probes' implementation modules, each importing its libraries (sslyze and nassl, cryptography's
# X.509, lxml); then what the libraries import at their first use: cryptography's OpenSSL backend,
# httpcore's asyncio backend (anyio), dnspython's, and the record types the audit asks for.
_MODULES = (
    "trustscan.collect.tls.fast",
    "trustscan.collect.tls.facts",
    "trustscan.collect.tls.renegotiation",
    "trustscan.collect.crawl.crawl",
    "trustscan.collect.crawl.links",
    "trustscan.collect.crawl.mixedcontent",
    "trustscan.collect.crawl.cloaking",
    "trustscan.collect.crawl.delivery",
    "trustscan.collect.crawl.privacy",
    "trustscan.collect.crawl.tracking",
    "trustscan.collect.crawl.sitemap",
    "trustscan.collect.http.exposure",
    "trustscan.collect.http.frontdoor",
    "trustscan.collect.http.securitytxt",
    "trustscan.collect.dns.zone",
    "trustscan.core.validation_error",
    "cryptography.hazmat.backends.openssl",
    "anyio._backends._asyncio",
    "dns._asyncio_backend",
    "dns.rdtypes.IN.A",
    "dns.rdtypes.IN.AAAA",
    "dns.rdtypes.ANY.CAA",
)


def warm_up() -> None:
    """Import the probes' libraries and read the shipped data files every audit reads."""
    for name in _MODULES:
        importlib.import_module(name)
    from trustscan.collect.crawl import cloaking, delivery, lexicon, signatures, sitemap
    from trustscan.collect.tls import certificate, compat, suites
    from trustscan.net import domains

    # sslyze's five root stores and the Mozilla bundle's anchors (~0.15 s each): built at first use,
    # and neither under a lock, so the first audits' TLS threads would each build them at once.
    certificate.load_trust_anchors([compat.mozilla_store_path()])

    for load in (signatures.load_signatures, cloaking.identities, delivery.delivery_data, sitemap.upload_folders,
                 lexicon.gambling_vocabulary, lexicon.privacy_vocabulary, lexicon.trackers,
                 domains.public_suffix_rules, compat.modern_tls12_suite_names):
        load()
    for protocol in suites.PROTOCOL_VERSIONS:
        suites.protocol_suites(protocol)
