"""TLS of the site (criterion c): the `tls` probe, by category probing or, with --deep, by sslyze.

Both paths produce the same facts (see `facts.py`). sslyze and nassl are imported only when the
probe runs, so finding the probes (trustscan.collect.registry) does not load them. The modules of
this package import sslyze's submodules by their full path and never run sslyze's `__init__`
(every plugin and the scanner) unless the `--deep` path asks for it (see `lazy_package`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustscan.collect.base import ProbeContext, ProbeSpec
from trustscan.collect.tls.lazy_package import defer_package_init
from trustscan.core.models import Attempt

defer_package_init("sslyze")  # before any module of this package imports an sslyze submodule


async def _tls(context: ProbeContext, needed: Mapping[str, Attempt]) -> dict[str, Any]:
    from trustscan.collect.runner import in_daemon_thread

    deep = context.settings.deep

    def scan(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # Same facts either way; only the path taken is imported (sslyze's scanner and plugins cost
        # ~0.15 s), and in the scan's own thread: the event loop keeps serving the other probes'
        # replies meanwhile instead of stalling for the import.
        if deep:  # every suite listed
            from trustscan.collect.tls.deep import scan_tls as run
        else:
            from trustscan.collect.tls.fast import scan_tls_fast as run
        return run(*args, **kwargs)

    return await in_daemon_thread(
        scan, context.target.ascii_host, context.pinned, context.target.port,
        ca_bundle=context.settings.ca_bundle, timeout=context.deadline.bound(context.settings.probe_timeout),
        now=context.now, deadline=context.deadline,  # each handshake bounded; none starts after the deadline
    )


_PROTOCOLS = ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2", "tls_1_3")
_CERTIFICATE = ("subject", "issuer", "serial", "not_before", "not_after", "days_left", "expired", "not_yet_valid",
                "san", "hostname_match", "self_signed", "chain_length", "chain", "chain_complete", "key_type",
                "key_bits", "signature_hash", "trusted", "trusted_by", "validation_error",
                "validation_error_wording")

TLS = ProbeSpec("tls", _tls, facts=(
    *(f"protocols.{key}" for key in _PROTOCOLS),  # True / False / None (that sub-scan failed)
    "accepted_protocols", "legacy_protocols", "tls13",
    "accepted_suites.*",  # protocol label ("TLS 1.2") -> the suites it accepted
    "weak_suites", "suites_without_forward_secrecy", "aead_available", "cbc_only", "dhe_accepted",
    "dh_min_bits", "dh_groups",
    "heartbleed", "robot_vulnerable", "robot_result", "ccs_injection", "secure_renegotiation",
    "client_renegotiation", "compression",
    *(f"certificate.{key}" for key in _CERTIFICATE),
    "errors.*",  # sslyze scan command name -> why that check could not run
))
