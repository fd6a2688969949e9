"""Resolve a target name once, with dnspython, so every connection goes to the same address.

A custom resolver (`--resolver IP[:PORT]`) serves intranets and the local test world; the
address policy refuses non-public addresses unless the user opted in, so a scanner run as a
service cannot be pointed at its own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from trustscan.core.errors import ProbeError
from trustscan.core.settings import NameServer
from trustscan.core.wordings import Wording
from trustscan.net.addresses import judge_address
from trustscan.net.failures import classify


def is_public(address: str) -> bool:
    """True for a globally routable address; IPv6 forms carrying IPv4 are judged by what they carry.

    The table is `trustscan.net.addresses`; False (never an exception) for text that is not an address.
    """
    return non_public_reason(address) is None


def non_public_reason(address: str) -> Wording | None:
    """Why `address` is not public: the block and its RFC, as a Wording (`address.*`); None when it is public."""
    try:
        return judge_address(address).why
    except ValueError:
        return Wording("address.not_an_address")


def refused_connection(why: Wording, error: type[Exception]) -> Exception:
    """*error* (httpcore's or httpx's ConnectError) with the refusal's English sentence, carrying its Wording
    for `classify`, so every output says the refusal and the address's category in its own language."""
    exc = error(why.english())
    exc.wording = why  # type: ignore[attr-defined]
    return exc


@dataclass(frozen=True)
class AddressPolicy:
    """Where a connection may go: public addresses only, unless the user allowed private ones.

    `pins` maps host names to the address resolved once at the start of the audit. The pinned
    backend applies the policy to the address it connects to; the redirect follower applies it
    to every hop before the request, so a redirect to `http://10.0.0.1/` is refused by name.
    """

    pins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    allow_private: bool = False

    def pinned(self, host: str) -> str | None:
        """The pinned address of `host`, or `host` itself when it is an IP literal; else None."""
        host = host.lower().strip("[]")
        for name, address in self.pins.items():
            if name.lower() == host:
                return address
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            return None

    def refusal(self, address: str, host: str) -> Wording | None:
        """Why a connection to `address` (for `host`) is refused, with the address's category; None when allowed."""
        if self.allow_private:
            return None
        try:
            judgement = judge_address(address)
        except ValueError:
            return Wording("error.cause.address_not_ip", {"address": address, "host": host})
        if judgement.public:
            return None
        return Wording("error.cause.address_refused", {"address": address, "host": host, "category": judgement.why})

    def url_refusal(self, url: str) -> Wording | None:
        """The refusal for a URL whose host is pinned or an IP literal; None otherwise.

        Any other name is resolved once, at connect time, by the pinned backend under this same
        policy (resolving it here too would let a second answer differ from the first).
        """
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return None  # not a URL the client can request; it fails there with its own error
        address = self.pinned(host)
        return None if address is None else self.refusal(address, host)


@dataclass(frozen=True)
class DNSAnswer:
    """Records of one type (as text), and whether the answer carried RRSIGs / the AD flag."""

    records: tuple[str, ...]
    signed: bool
    authenticated: bool
    rcode: str


#: The longest CNAME chain a name may take to its address (aliases followed). dnspython refuses a
#: longer one, and a loop reaches this bound too, so neither can make a lookup run on.
MAX_CNAME_CHAIN = dns.message.MAX_CHAIN - 1  # dnspython refuses a 16th alias


@dataclass(frozen=True)
class Resolution:
    """A name's addresses (IPv4 first) and its CNAME chain: the name, then every alias target in
    the order the answers followed them (the A answer's chain, then any name only the AAAA
    answer's chain took), ending with the canonical name that holds the addresses."""

    addresses: tuple[str, ...]
    chain: tuple[str, ...]


def _chain_too_long(error: BaseException) -> bool:
    """dnspython reports an overlong or looping chain as ChainTooLong, wrapped in NoNameservers."""
    if isinstance(error, dns.message.ChainTooLong):
        return True
    failures = error.kwargs.get("errors", ()) if isinstance(error, dns.resolver.NoNameservers) else ()
    return any(len(failure) > 3 and isinstance(failure[3], dns.message.ChainTooLong) for failure in failures)


class AnswerCache:
    """DNS answers shared by the audits of one bulk run (or one worker process), kept for their TTL.

    Sites of one portfolio share their parent zones (`gov.vn`, `vn`): each audit's CAA climb asked
    the same parents again, and the bulk scheduler's address lookup was asked again by the audit.
    One DNS query through dnspython costs ~0.8 ms of CPU, about an HTTP request's; a cached answer
    is what a caching resolver would give for its TTL anyway. dnspython's own cache honours each
    answer's TTL (a negative answer: the SOA's negative TTL, 300 s without one) and keeps no
    failure (SERVFAIL, timeout). Two caches: answers asked with the DNSSEC OK bit carry signatures
    the plain ones lack, and `dnssec_signed` is read from them. Each holds at most `size` answers
    (~3 kB each), least recently used first out, so memory stays flat on any portfolio.

    A worker process of `bulk --processes` has its own cache: the bulk process hands it the answers of
    the site's address lookup with the site (`hand_over`, `adopt`), each until its original expiry.
    """

    def __init__(self, size: int = 1024) -> None:
        self.plain = dns.resolver.LRUCache(size)
        self.dnssec = dns.resolver.LRUCache(size)

    def hand_over(self, name: str) -> HandedAnswers | None:
        """The address lookup's answers this cache still holds for `name` (A, AAAA, or the NXDOMAIN dnspython
        keeps under ANY; NODATA is an A/AAAA answer without records), for another process's cache
        (`adopt`); None when it holds none. Answers asked with the DNSSEC OK bit are not handed over.
        """
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException:
            return None
        handed = []
        for rdtype in _HANDED_TYPES:
            answer = self.plain.get((qname, rdtype, dns.rdataclass.IN))
            if answer is None or (rdtype == dns.rdatatype.ANY and answer.response.rcode() != dns.rcode.NXDOMAIN):
                continue
            try:
                wire = answer.response.to_wire()
            except dns.exception.DNSException:
                continue  # one the receiver asks again, as it would have without the hand-over
            handed.append((int(rdtype), wire, answer.expiration))
        return HandedAnswers(name, tuple(handed)) if handed else None

    def adopt(self, handed: HandedAnswers) -> int:
        """Put answers handed over by another process's cache (`hand_over`) into this one, each until the
        expiry it had there: the TTL's clock is not restarted, however long the site waited in between.
        An expired or unreadable answer is dropped (the lookup asks the name server, as it would have);
        an answer this cache already holds is kept. Returns the number of answers adopted.
        """
        try:
            qname = dns.name.from_text(handed.name)
        except dns.exception.DNSException:
            return 0
        now = time.time()
        adopted = 0
        for rdtype, wire, expiration in handed.answers:
            if rdtype not in _HANDED_TYPES or expiration <= now:
                continue
            key = (qname, dns.rdatatype.RdataType(rdtype), dns.rdataclass.IN)
            if self.plain.get(key) is not None:
                continue
            try:
                response = dns.message.from_wire(wire)
                if not isinstance(response, dns.message.QueryMessage):
                    continue
                # Rebuilt as dnspython builds a received answer, so its CNAME chain reads the same.
                answer = dns.resolver.Answer(qname, key[1], dns.rdataclass.IN, response)
            except Exception:  # noqa: BLE001 - a hand-over only saves queries: whatever fails is asked again
                continue
            answer.expiration = expiration
            self.plain.put(key, answer)
            adopted += 1
        return adopted


#: What `Resolver.resolve` asks and dnspython caches: A, AAAA, and NXDOMAIN (kept under ANY).
_HANDED_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.ANY)


@dataclass(frozen=True)
class HandedAnswers:
    """One name's cached address answers, sent to a worker process with its site (`bulk --processes`):
    per answer its record type, the whole DNS response in wire format (the CNAME chain included) and
    its absolute expiry on the `time.time()` clock, which the processes of one machine share.

    At most three responses of at most 65,535 bytes each (dnspython's limit on a received message);
    the local world's are under 100 bytes.
    """

    name: str
    answers: tuple[tuple[int, bytes, float], ...]

    def unexpired(self, now: float | None = None) -> HandedAnswers | None:
        """These answers without the ones whose expiry has passed (None when none is left)."""
        now = time.time() if now is None else now
        kept = tuple(answer for answer in self.answers if answer[2] > now)
        if len(kept) == len(self.answers):
            return self
        return HandedAnswers(self.name, kept) if kept else None


class Resolver:
    """A/AAAA lookups through the system resolver or one given name server; `cache` shares answers."""

    def __init__(self, nameserver: NameServer | None = None, timeout: float = 5.0,
                 cache: AnswerCache | None = None) -> None:
        if nameserver is None:
            self._resolver = dns.asyncresolver.Resolver()
        else:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = [nameserver.ip]
            self._resolver.port = nameserver.port
        self._resolver.lifetime = timeout
        self._cache = cache
        self._resolver.cache = cache.plain if cache is not None else None
        self._dnssec: dns.asyncresolver.Resolver | None = None

    async def addresses(self, name: str) -> list[str]:
        """Every A and AAAA address of `name`, IPv4 first; ProbeError when there are none."""
        return list((await self.resolve(name)).addresses)

    async def resolve(self, name: str) -> Resolution:
        """The addresses of `name` and the CNAME chain that led to them; ProbeError when there are none.

        A chain longer than MAX_CNAME_CHAIN aliases, or a loop, is a ProbeError: such a name has
        no address to audit.
        """
        results = await asyncio.gather(
            self._lookup(name, "A"), self._lookup(name, "AAAA"), return_exceptions=True
        )
        answers = [result for result in results if isinstance(result, dns.resolver.Answer)]
        found = [rdata.address for answer in answers for rdata in answer]
        if found:
            chain = [name.rstrip(".").lower()]
            for answer in answers:
                chain += [str(rrset[0].target).rstrip(".").lower() for rrset in answer.chaining_result.cnames
                          if len(rrset)]
            # At most 2 x (MAX_CNAME_CHAIN + 1) names: each answer's chain is bounded by dnspython.
            return Resolution(tuple(found), tuple(dict.fromkeys(chain)))
        errors = [r for r in results if isinstance(r, BaseException)]
        if any(_chain_too_long(e) for e in errors):
            raise ProbeError("error.dns.cname_loop", name=name, limit=MAX_CNAME_CHAIN)
        if any(isinstance(e, dns.resolver.NXDOMAIN) for e in errors):
            raise ProbeError("error.dns.nxdomain", name=name)
        if any(isinstance(e, dns.exception.Timeout | dns.resolver.NoNameservers) for e in errors):
            raise ProbeError("error.dns.no_answer", name=name)
        if errors and not all(isinstance(e, dns.resolver.NoAnswer) for e in errors):
            raise ProbeError("error.dns.lookup_failed", name=name, cause=classify(errors[0]))
        raise ProbeError("error.dns.no_address", name=name)

    async def records(self, name: str, rdtype: str) -> DNSAnswer:
        """One DNSSEC-aware (DO bit) query for criterion a's zone hygiene (CAA, DNSSEC).

        NXDOMAIN and NODATA are answers (no records); a resolver that cannot answer is a ProbeError.
        A separate dnspython resolver carries the DO bit, so address lookups stay as they were; it is
        made once per Resolver (each dnspython Resolver made costs a gethostname call and its set-up:
        criterion a's zone checks asked for five per site).
        """
        resolver = self._dnssec
        if resolver is None:
            resolver = self._dnssec = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = list(self._resolver.nameservers)
            resolver.port = self._resolver.port
            resolver.lifetime = self._resolver.lifetime
            resolver.use_edns(0, dns.flags.DO, 1232)
            resolver.cache = self._cache.dnssec if self._cache is not None else None
        try:
            answer = await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return DNSAnswer((), signed=False, authenticated=False, rcode="NXDOMAIN")
        except dns.exception.DNSException as exc:
            raise ProbeError("error.dns.query_failed", rdtype=rdtype, name=name, cause=classify(exc)) from None
        response = answer.response
        wanted = dns.rdatatype.from_text(rdtype)
        texts = tuple(rdata.to_text() for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset)
        signed = any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in response.answer)
        return DNSAnswer(texts, signed=signed, authenticated=bool(response.flags & dns.flags.AD), rcode="NOERROR")

    async def _lookup(self, name: str, rdtype: str) -> dns.resolver.Answer:
        return await self._resolver.resolve(name, rdtype, search=False)
