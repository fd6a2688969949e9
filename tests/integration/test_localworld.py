"""Tests of the local world itself: the nginx test sites and the demo sites (the CA and DNS server on their
own are tests/localworld/).

If these fail, integration test failures elsewhere mean nothing: the world is not what it claims to be.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.world import World
from tests.world.client import addresses, get, lax, trusting
from trustscan.localworld.demo import DemoWorld
from trustscan.localworld.sites import Page, SiteConfig, SiteServer

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)
SECTXT = "/.well-known/security.txt"


def handshake(ip: str, port: int, host: str, ctx: ssl.SSLContext) -> tuple[str, str, x509.Certificate]:
    """TLS-connect to a pinned IP with SNI *host*: (protocol version, cipher name, leaf certificate)."""
    with (
        socket.create_connection((ip, port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as s,
    ):
        der = s.getpeercert(binary_form=True)
        assert der is not None
        cipher = s.cipher()
        assert cipher is not None
        return s.version() or "", cipher[0], x509.load_der_x509_certificate(der)


def fields(body: bytes) -> list[tuple[str, str]]:
    """security.txt "Name: value" lines (comments and PGP framing skipped)."""
    out = []
    for line in body.decode().splitlines():
        name, sep, value = line.partition(":")
        if sep and not line.startswith(("#", "-----")) and name.strip() and " " not in name.strip():
            out.append((name.strip().lower(), value.strip()))
    return out


def parse_expires(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)

# --- the nginx world -------------------------------------------------------------------------------------


def test_world_dns_resolves_every_site_and_the_idn(world: World) -> None:
    for site in world.sites.values():
        query = dns.message.make_query(site.host, "A")
        reply = dns.query.udp(query, world.dns_ip, port=world.dns_port, timeout=2)
        assert addresses(reply) == [site.ip], site.name
    idn = dns.query.udp(dns.message.make_query(world.idn_host_ascii, "A"), world.dns_ip, port=world.dns_port, timeout=2)
    assert addresses(idn) == [world.site("good").ip]
    assert len({s.ip for s in world.sites.values()}) == len(world.sites)  # one address per site


def test_good_tls13_verified_with_hsts_and_sectxt(world: World) -> None:
    good = world.site("good")
    assert good.target == f"good.trustscan.test:{world.https_port}"
    version, _, leaf = handshake(good.ip, good.https_port, good.host, trusting(world.ca_bundle))
    assert version == "TLSv1.3"
    assert leaf.not_valid_after_utc > NOW
    resp = get(good.ip, good.https_port, good.host, SECTXT, tls=trusting(world.ca_bundle))
    assert resp.status == 200
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert resp.headers["Content-Type"].startswith("text/plain")
    f = dict(fields(resp.body))
    assert f["contact"] == "mailto:security@good.trustscan.test"
    assert f["canonical"] == f"https://good.trustscan.test:{world.https_port}{SECTXT}"
    assert dt.timedelta(days=360) < parse_expires(f["expires"]) - NOW < dt.timedelta(days=370)


def test_good_refuses_tls11_and_idn_name_verifies(world: World) -> None:
    good = world.site("good")
    # "protocol version" (alert 70), not a cipher mismatch: TLS 1.1 itself is off.
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        handshake(good.ip, good.https_port, good.host, lax(maximum=ssl.TLSVersion.TLSv1_1))
    version, _, _ = handshake(good.ip, good.https_port, world.idn_host_ascii, trusting(world.ca_bundle))
    assert version == "TLSv1.3"


@pytest.mark.parametrize("name", ["good", "legacy", "expired", "selfsigned", "sectxt-missing"])
def test_http_redirects_to_https(world: World, name: str) -> None:
    site = world.site(name)
    resp = get(site.ip, site.http_port, site.host, "/some/path?q=1")
    assert resp.status == 301
    assert resp.headers["Location"] == f"https://{site.host}:{world.https_port}/some/path?q=1"
    assert "Strict-Transport-Security" not in resp.headers  # HSTS is meaningless over plain HTTP


def test_legacy_serves_tls10_static_rsa_sha1_rsa1024(world: World) -> None:
    legacy = world.site("legacy")
    version, cipher, leaf = handshake(legacy.ip, legacy.https_port, legacy.host, lax(maximum=ssl.TLSVersion.TLSv1))
    assert version == "TLSv1"
    assert cipher == "AES128-SHA"  # static RSA, CBC, no forward secrecy: server order puts it first
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    assert leaf.signature_hash_algorithm is not None and leaf.signature_hash_algorithm.name == "sha1"
    version, _, _ = handshake(
        legacy.ip, legacy.https_port, legacy.host, lax(ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1)
    )
    assert version == "TLSv1.1"
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        handshake(legacy.ip, legacy.https_port, legacy.host, lax(ssl.TLSVersion.TLSv1_3))


def test_legacy_dhe_uses_1024_bit_group(world: World) -> None:
    legacy = world.site("legacy")
    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{legacy.ip}:{legacy.https_port}",
            "-servername",
            legacy.host,
            "-tls1_2",
            "-cipher",
            "DHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert "Server Temp Key: DH, 1024 bits" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("expired", "certificate has expired"),
        ("selfsigned", "self-signed certificate"),
        ("wronghost", "Hostname mismatch"),
        ("nochain", "unable to get local issuer certificate"),
    ],
)
def test_broken_certificates_fail_verification(world: World, name: str, error: str) -> None:
    site = world.site(name)
    with pytest.raises(ssl.SSLCertVerificationError, match=error):
        handshake(site.ip, site.https_port, site.host, trusting(world.ca_bundle))


def test_certificate_dates_and_names(world: World) -> None:
    def leaf(name: str) -> x509.Certificate:
        site = world.site(name)
        return handshake(site.ip, site.https_port, site.host, lax())[2]

    assert NOW - 2 * DAY < leaf("expired").not_valid_after_utc < NOW
    assert 9 * DAY < leaf("expiring").not_valid_after_utc - NOW < 11 * DAY
    san = leaf("wronghost").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["other.trustscan.test"]


def test_nochain_verifies_once_the_intermediate_is_known(world: World) -> None:
    ctx = trusting(world.ca_bundle)
    ctx.load_verify_locations(cadata=(world.ca_bundle.parent / "intermediate.pem").read_text())
    site = world.site("nochain")
    assert handshake(site.ip, site.https_port, site.host, ctx)[0] == "TLSv1.3"


def test_httponly_has_no_tls_and_serves_http(world: World) -> None:
    site = world.site("httponly")
    assert not site.https
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((site.ip, site.https_port), timeout=2).close()
    resp = get(site.ip, site.http_port, site.host, "/")
    assert resp.status == 200 and b"httponly.trustscan.test" in resp.body


def test_nohsts_has_no_hsts_and_http_serves_content(world: World) -> None:
    site = world.site("nohsts")
    resp = get(site.ip, site.https_port, site.host, "/", tls=trusting(world.ca_bundle))
    assert resp.status == 200 and "Strict-Transport-Security" not in resp.headers
    resp = get(site.ip, site.http_port, site.host, "/")
    assert resp.status == 200 and b"nohsts.trustscan.test" in resp.body


def _sectxt(world: World, name: str, path: str = SECTXT):
    site = world.site(name)
    return get(site.ip, site.https_port, site.host, path, tls=trusting(world.ca_bundle))


def test_sectxt_missing_and_legacy_location(world: World) -> None:
    assert _sectxt(world, "sectxt-missing").status == 404
    assert _sectxt(world, "sectxt-legacy").status == 404
    legacy = _sectxt(world, "sectxt-legacy", "/security.txt")
    assert legacy.status == 200 and ("contact", "mailto:security@sectxt-legacy.trustscan.test") in fields(legacy.body)


def test_sectxt_field_variants(world: World) -> None:
    expired = dict(fields(_sectxt(world, "sectxt-expired").body))
    assert parse_expires(expired["expires"]) < NOW
    badcontact = fields(_sectxt(world, "sectxt-badcontact").body)
    assert [v for k, v in badcontact if k == "contact"] == ["not-a-uri"]
    two = fields(_sectxt(world, "sectxt-twoexpires").body)
    assert len([v for k, v in two if k == "expires"]) == 2
    canonical = dict(fields(_sectxt(world, "sectxt-badcanonical").body))["canonical"]
    assert canonical.startswith("https://") and "sectxt-badcanonical" not in canonical


def test_sectxt_wrongtype_signed_huge(world: World) -> None:
    assert _sectxt(world, "sectxt-wrongtype").headers["Content-Type"].startswith("text/html")
    signed = _sectxt(world, "sectxt-signed")
    text = signed.body.decode()
    assert text.startswith("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n")
    assert "-----BEGIN PGP SIGNATURE-----" in text and text.rstrip().endswith("-----END PGP SIGNATURE-----")
    assert dict(fields(signed.body))["contact"] == "mailto:security@sectxt-signed.trustscan.test"
    huge = _sectxt(world, "sectxt-huge")
    assert huge.status == 200 and len(huge.body) >= 2 * 1024 * 1024


# --- pure-Python demo sites ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    with DemoWorld(tmp_path_factory.mktemp("demo")) as w:
        yield w


def test_demo_good_site(demo: DemoWorld) -> None:
    good = demo.sites["good"]
    version, _, _ = handshake(good.ip, good.https_port, good.hostname, trusting(demo.ca_bundle))
    assert version == "TLSv1.3"
    resp = get(good.ip, good.https_port, good.hostname, SECTXT, tls=trusting(demo.ca_bundle))
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    f = dict(fields(resp.body))
    assert f["contact"] == f"mailto:security@{good.hostname}"
    assert parse_expires(f["expires"]) > NOW + 300 * DAY
    redirect = get(good.ip, good.http_port, good.hostname, "/a?b")
    assert redirect.status == 301 and redirect.headers["Location"] == f"https://{good.target}/a?b"
    dns_reply = dns.query.udp(dns.message.make_query(good.hostname, "A"), "127.0.0.1", port=demo.dns_port, timeout=2)
    assert addresses(dns_reply) == [good.ip]


def test_demo_broken_site(demo: DemoWorld) -> None:
    broken = demo.sites["broken"]
    with pytest.raises(ssl.SSLCertVerificationError, match="self-signed"):
        handshake(broken.ip, broken.https_port, broken.hostname, trusting(demo.ca_bundle))
    version, _, _ = handshake(broken.ip, broken.https_port, broken.hostname, lax(maximum=ssl.TLSVersion.TLSv1))
    assert version == "TLSv1"
    resp = get(broken.ip, broken.https_port, broken.hostname, SECTXT, tls=lax())
    assert "Strict-Transport-Security" not in resp.headers
    assert parse_expires(dict(fields(resp.body))["expires"]) < NOW
    plain = get(broken.ip, broken.http_port, broken.hostname, "/")
    assert plain.status == 200 and broken.hostname.encode() in plain.body


def test_site_server_refuses_non_loopback() -> None:
    config = SiteConfig(hostname="x.test", cert=None, pages={"/": Page(b"x")})
    with pytest.raises(ValueError, match="loopback"):
        SiteServer(config, "0.0.0.0", https_port=0, http_port=0)
