"""Every use of sslyze's and nassl's private modules and internals, in one place.

Checked against sslyze 6.3.1 and nassl 5.4.0 (`pip show sslyze nassl`). Upgrading either: re-read
the sources named below, then run tests/test_tls_*.py (the fast path must still give the deep
path's verdicts on every site of the test world).

What is used, and why:
  nassl.legacy_ssl_client.LegacySslClient, nassl.ssl_client.SslClient (the OpenSSL 1.0.2 and 1.1.1
      clients sslyze drives), nassl._nassl's error types; the clients' private `_ssl`,
      `_network_bio`, `_flush_ssl_engine` and `_is_handshake_completed`: nassl's `do_handshake`
      always completes the handshake, and the fast path stops once the server's first flight is in
      (`drive_handshake`); `_ssl.set_options` offers a range of versions in one ClientHello.
  sslyze.connection_helpers.tls_connection._HANDSHAKE_REJECTED_TLS_ERRORS: how sslyze tells "the
      server refused" from "something broke", so "refused" means the same on both paths.
  sslyze.plugins.openssl_cipher_suites.cipher_suites.CipherSuitesRepository: the suites sslyze's
      per-suite scan tries, which the fast path offers by category.
  sslyze.plugins.certificate_info._cert_chain_analyzer.CertificateDeploymentAnalyzer and
      trust_store_repository.TrustStoresRepository: sslyze's own path validation of a chain the
      fast path received, and the bundled Mozilla store. TrustStore.verify_certificate_chain is
      wrapped to run one at a time per process (a deadlock in cryptography's verifier, below).
  sslyze.server_connectivity.ServerConnectivityInfo, sslyze.plugins.plugin_base.ScanJobResult and
      the Heartbleed / CCS injection / ROBOT plugin implementations: those checks run in this
      thread on what the fast path learnt, without sslyze's connectivity test and thread pool.
      The plugin modules are imported only when a check runs: they define sslyze's pydantic JSON
      models, and importing pydantic costs more CPU (~0.1 s) than a TLS 1.3 server's whole scan.

Public sslyze API (what `sslyze/__init__.py` exports, `sslyze.errors`, the scanner observer) is used
where it is needed, mostly in deep.py.
"""

from __future__ import annotations

import functools
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import DNSName, IPAddress
from nassl._nassl import OpenSSLError, WantReadError, WantX509LookupError
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import BaseSslClient, ClientCertificateRequested, OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze.connection_helpers.tls_connection import _HANDSHAKE_REJECTED_TLS_ERRORS
from sslyze.plugins.certificate_info._cert_chain_analyzer import (
    CertificateDeploymentAnalysisResult,
    CertificateDeploymentAnalyzer,
)
from sslyze.plugins.certificate_info.trust_stores.trust_store import TrustStore
from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository
from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuite, CipherSuitesRepository
from sslyze.plugins.plugin_base import ScanJobResult
from sslyze.server_connectivity import (
    ClientAuthRequirementEnum,
    ServerConnectivityInfo,
    ServerTlsProbingResult,
    TlsVersionEnum,
)
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from trustscan.collect.tls.certificate import MALFORMED_CERTIFICATE_ERRORS, describe_certificate_error
from trustscan.collect.tls.facts import CheckFailed, ServedCertificate, failure_from_exception
from trustscan.core.errors import ProbeError
from trustscan.net.files import file_version

__all__ = [
    "HANDSHAKE_REJECTED_TLS_ERRORS",
    "ClientCertificateRequested",
    "OpenSSLError",
    "OpenSslVersionEnum",
    "SslyzeChecks",
    "TlsClient",
    "WantX509LookupError",
    "drive_handshake",
    "exclude_versions",
    "mozilla_store_path",
    "new_client",
    "read_server_choice",
    "served_certificate",
    "sslyze_cipher_suites",
    "validate_served_chain",
]

TlsClient = BaseSslClient
HANDSHAKE_REJECTED_TLS_ERRORS: tuple[str, ...] = tuple(_HANDSHAKE_REJECTED_TLS_ERRORS)
_BUFFER = 16384


# --- nassl clients -----------------------------------------------------------------------------


def new_client(version: OpenSslVersionEnum, ciphers: str, *, legacy: bool, server_name: str) -> TlsClient:
    """A nassl client as sslyze configures it: no verification, client-auth requests ignored, SNI set.

    `ciphers` (TLS 1.3: TLS 1.3 suite names) raises OpenSSLError if the client knows none of them.
    """
    cls = LegacySslClient if legacy else SslClient
    client = cls(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE, ignore_client_authentication_requests=True)
    if version != OpenSslVersionEnum.SSLV2:
        client.set_tlsext_host_name(server_name)
    if version == OpenSslVersionEnum.TLSV1_3:
        assert isinstance(client, SslClient)
        client.set_ciphersuites(ciphers)
    else:
        client.set_cipher_list(ciphers)
    return client


def exclude_versions(client: TlsClient, ssl_op_no_flags: int) -> None:
    """Set OpenSSL's SSL_OP_NO_* options, to offer a range of versions in one SSLV23 ClientHello."""
    client._ssl.set_options(ssl_op_no_flags)


def drive_handshake(client: TlsClient, complete: bool, first: list[bytes], deadline: float) -> None:
    """nassl's do_handshake loop, stopping once the client has a second flight to send (if not `complete`).

    When OpenSSL, after reading the server's data, wants to send something again (ClientKeyExchange,
    Finished), the ServerHello, Certificate and ServerKeyExchange have all been processed. The
    first bytes the server sent are appended to `first`; `deadline` is on the monotonic clock.
    """
    sock = client.get_underlying_socket()
    assert sock is not None
    sent_hello = False
    while True:
        try:
            client._ssl.do_handshake()
        except WantReadError:
            pass  # OpenSSL waits for the server; maybe it has something to send first
        else:
            client._is_handshake_completed = True
            return
        if client._network_bio.pending():
            if sent_hello and not complete:
                return  # our second flight: everything criterion c needs from the server is in
            client._flush_ssl_engine()
            sent_hello = True
        if time.monotonic() > deadline:  # a server dribbling bytes must not hold us past one timeout
            raise TimeoutError("handshake took longer than the network timeout")
        data = sock.recv(_BUFFER)
        if not data:
            raise OSError("Nassl SSL handshake failed: peer did not send data back.")
        if not first:
            first.append(data)
        client._network_bio.write(data)


def read_server_choice(client: TlsClient) -> tuple[str | None, int | None, tuple[str, ...]]:
    """(OpenSSL name of the chosen suite, bits of the finite-field DH group if any, chain as PEM)."""
    try:
        suite = client.get_current_cipher_name() or None
    except OpenSSLError:
        suite = None
    try:
        chain = tuple(client.get_received_chain())
    except (ValueError, OpenSSLError):  # no certificate (anonymous suites) or none read yet
        chain = ()
    key = client.get_ephemeral_key()
    return suite, (key.size if key is not None and key.type_name == "DH" else None), chain


def secure_renegotiation_and_compression(client: TlsClient) -> tuple[bool, bool]:
    """(RFC 5746 renegotiation_info seen, a compression method negotiated) of a completed legacy handshake."""
    assert isinstance(client, LegacySslClient)
    return client.get_secure_renegotiation_support(), bool(client.get_current_compression_method())


def renegotiate(client: TlsClient) -> None:
    """One client-initiated renegotiation on the open connection (raises as the server refuses it)."""
    assert isinstance(client, LegacySslClient)
    client.do_renegotiate()


@cache
def modern_tls12_suite_names() -> frozenset[str]:
    """The TLS 1.2 suites nassl's OpenSSL 1.1.1 client can offer (the legacy client has the rest)."""
    client = SslClient(ssl_version=OpenSslVersionEnum.TLSV1_2, ssl_verify=OpenSslVerifyEnum.NONE)
    client.set_cipher_list("ALL:COMPLEMENTOFALL:-PSK:-SRP")
    return frozenset(client.get_cipher_list())


def sslyze_cipher_suites(version: TlsVersionEnum) -> set[CipherSuite]:
    """Every suite sslyze's per-suite scan tries at `version`."""
    return CipherSuitesRepository.get_all_cipher_suites(version)


# --- certificates ------------------------------------------------------------------------------

#: One X.509 verification at a time in this process. cryptography 46.0.7's verifier fills a lazily
#: initialised static inside `verify`, giving up the GIL while doing so; a second thread that holds
#: the GIL and reaches the static meanwhile waits for it, and neither moves again. Seen twice in bulk
#: runs on a loaded machine (one process and a worker): every TLS thread stuck in
#: `TrustStore.verify_certificate_chain` -> `verifier.verify`, the event loop waiting for the GIL,
#: the run never ending. sslyze verifies in whichever thread runs the check (our TLS threads, its own
#: pool on the deep path), so its method is wrapped here. A verification takes milliseconds; only
#: other verifications wait for it. A waiting thread blocks on this Python lock, which gives up the GIL.
_VERIFYING = threading.Lock()


def _one_at_a_time(verify: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(verify)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _VERIFYING:
            return verify(*args, **kwargs)

    locked.one_at_a_time = True  # type: ignore[attr-defined]
    return locked


if not getattr(TrustStore.verify_certificate_chain, "one_at_a_time", False):  # once, even if reloaded
    TrustStore.verify_certificate_chain = _one_at_a_time(TrustStore.verify_certificate_chain)  # type: ignore[method-assign]


_DEFAULT_STORES = threading.Lock()


def default_stores() -> TrustStoresRepository:
    """sslyze's bundled root stores, built once per process: sslyze's own `get_default` is not
    thread-safe, and the first audits' TLS threads each built all five stores (~0.15 s) at once."""
    with _DEFAULT_STORES:
        return TrustStoresRepository.get_default()


def mozilla_store_path() -> Path:
    """Path of the Mozilla root bundle shipped with sslyze (used for chain completeness)."""
    return Path(default_stores().get_main_store().path)


def served_certificate(deployment: CertificateDeploymentAnalysisResult, ca_bundle: Path | None) -> ServedCertificate:
    """The typed certificate facts of one sslyze deployment analysis."""
    validations = deployment.path_validation_results
    return ServedCertificate(
        chain=tuple(deployment.received_certificate_chain),
        trusted_by=tuple(v.trust_store.name for v in validations if v.was_validation_successful),
        validation_error=next((v.validation_error for v in validations if v.validation_error), None),
        anchor_files=(mozilla_store_path(),) + ((ca_bundle,) if ca_bundle is not None else ()),
    )


def validate_served_chain(
    host: str, chain_pem: tuple[str, ...], ca_bundle: Path | None
) -> ServedCertificate | CheckFailed:
    """sslyze's deployment analysis (path validation against its stores + the custom CA) of a chain."""
    stores = list(default_stores().get_all_stores())
    if ca_bundle is not None:
        stores.append(_supplied_store(*file_version(ca_bundle)))
    try:
        subject: DNSName | IPAddress = IPAddress(ip_address(host))
    except ValueError:
        subject = DNSName(host)
    try:
        deployment = CertificateDeploymentAnalyzer(subject, list(chain_pem), None, stores).perform()
    except MALFORMED_CERTIFICATE_ERRORS as exc:  # a malformed certificate from a hostile server
        return CheckFailed(describe_certificate_error(exc, _loadable(chain_pem)))
    return served_certificate(deployment, ca_bundle)


@functools.lru_cache(maxsize=8)
def _supplied_store(path: str, mtime_ns: int, size: int) -> TrustStore:
    """The `--ca-bundle` as an sslyze store, parsed once per version of the file (the key holds its
    mtime and size), not once per site."""
    return TrustStore(Path(path), "Supplied CA file", "N/A")  # the name sslyze gives it


def _loadable(chain_pem: tuple[str, ...]) -> list[x509.Certificate]:
    """The certificates of *chain_pem* that load at all (to find which part of which one is malformed)."""
    loaded = []
    for pem in chain_pem:
        try:
            loaded.append(x509.load_pem_x509_certificate(pem.encode("ascii", "replace")))
        except (ValueError, x509.InvalidVersion):
            continue
    return loaded


# --- sslyze's Heartbleed, CCS injection and ROBOT checks ---------------------------------------


@dataclass(frozen=True)
class _HookedServerInfo(ServerConnectivityInfo):
    """sslyze's server info, built from what the fast path learnt instead of its connectivity test.

    `before_connection(purpose)` runs before every connection a plugin opens: it counts it, may
    raise (the audit deadline) and returns that connection's network timeout in seconds.
    """

    before_connection: Callable[[str], float] = field(default=lambda purpose: 5)
    purpose: str = "sslyze plugin"

    def get_preconfigured_tls_connection(self, *args: Any, **kwargs: Any) -> Any:
        timeout = self.before_connection(self.purpose)
        # sslyze types the timeout as whole seconds but passes it to the socket as is: a float keeps
        # the connection within what is left of the audit's deadline.
        network = replace(self.network_configuration, network_timeout=timeout)  # type: ignore[arg-type]
        return ServerConnectivityInfo.get_preconfigured_tls_connection(
            replace(self, network_configuration=network), *args, **kwargs)


@dataclass(frozen=True)
class SslyzeChecks:
    """sslyze's vulnerability plugins against one server whose version and a suite we already know."""

    host: str
    ip: str
    port: int
    version: TlsVersionEnum  # the highest the server speaks
    suite: str  # an OpenSSL suite name it accepts at that version
    ecdh: bool  # whether it accepted an ECDHE suite
    before_connection: Callable[[str], float]

    def _info(self, purpose: str) -> _HookedServerInfo:
        return _HookedServerInfo(
            server_location=ServerNetworkLocation(hostname=self.host, port=self.port, ip_address=self.ip),
            # One connect attempt: a retry would only stretch a dead server's time. The timeout is
            # replaced per connection by what `before_connection` returns.
            network_configuration=ServerNetworkConfiguration(tls_server_name_indication=self.host,
                                                             network_max_retries=1),
            tls_probing_result=ServerTlsProbingResult(
                highest_tls_version_supported=self.version,
                cipher_suite_supported=self.suite,
                client_auth_requirement=ClientAuthRequirementEnum.DISABLED,
                supports_ecdh_key_exchange=self.ecdh,
            ),
            before_connection=self.before_connection,
            purpose=purpose,
        )

    # sslyze 6.3.1's Heartbleed and CCS-injection plugins (`_test_heartbleed`, `_test_for_ccs_injection`)
    # answer "not vulnerable" without connecting when the server's highest version is TLS 1.3 or later:
    # both bugs are in OpenSSL releases (1.0.1 to 1.0.1f; before 1.0.1h) that predate TLS 1.3. The
    # same answer is given here without importing the plugins; a server stopping at TLS 1.2 is tested.
    def heartbleed(self) -> bool | CheckFailed:
        if self.version.value >= TlsVersionEnum.TLS_1_3.value:
            return False
        result = _run_plugin(_plugin("heartbleed_plugin", "HeartbleedImplementation"), self._info("heartbleed"))
        return result if isinstance(result, CheckFailed) else bool(result.is_vulnerable_to_heartbleed)

    def ccs_injection(self) -> bool | CheckFailed:
        if self.version.value >= TlsVersionEnum.TLS_1_3.value:
            return False
        result = _run_plugin(_plugin("openssl_ccs_injection_plugin", "OpenSslCcsInjectionImplementation"),
                             self._info("ccs"))
        return result if isinstance(result, CheckFailed) else bool(result.is_vulnerable_to_ccs_injection)

    def robot(self) -> str | CheckFailed:
        result = _run_plugin(_plugin("robot.implementation", "RobotImplementation"), self._info("robot"))
        return result if isinstance(result, CheckFailed) else result.robot_result.name


#: The name of sslyze's RobotScanResultEnum member for a server without RSA key exchange (a test
#: checks it against sslyze's enum, which lives in the plugin module this file imports lazily).
ROBOT_RSA_NOT_SUPPORTED = "NOT_VULNERABLE_RSA_NOT_SUPPORTED"

_PLUGIN_IMPORT = threading.Lock()


def _plugin(module: str, name: str) -> Any:
    """sslyze.plugins.<module>.<name>, imported on first use (pydantic comes with it).

    One import at a time: the checks run in several threads (and bulk audits many sites at once),
    and two threads importing pydantic's circular modules together can see a half-initialised module.
    """
    with _PLUGIN_IMPORT:
        return getattr(importlib.import_module(f"sslyze.plugins.{module}"), name)


def _run_plugin(implementation: Any, info: ServerConnectivityInfo) -> Any:
    """Run an sslyze plugin's jobs one after the other in this thread (sslyze's own scan_server, minus the pool).

    A ProbeError (the audit deadline, raised by the connection hook) ends the scan; any other
    failure makes this check's facts unknown, never a crash or a pass.
    """
    try:
        results = []
        for job in implementation.scan_jobs_for_scan_command(info):
            try:
                results.append(ScanJobResult(_return_value=job.function_to_call(*job.function_arguments),
                                             _exception=None))
            except ProbeError:
                raise
            except Exception as exc:  # noqa: BLE001 - sslyze's result_for_completed_scan_jobs decides
                results.append(ScanJobResult(_return_value=None, _exception=exc))
        return implementation.result_for_completed_scan_jobs(info, results)
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failed check is an error fact, never a crash or a pass
        return failure_from_exception(exc)
