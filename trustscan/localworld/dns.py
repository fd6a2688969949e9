"""A tiny authoritative DNS server for local worlds (tests and ``trustscan demo``).

``LocalDNSServer({"good.trustscan.test": ["127.0.0.2"]})`` answers A and AAAA queries for the given
names over UDP and TCP on 127.0.0.1, from background threads. Everything it does not know is
NXDOMAIN; a known name asked for a type it lacks gets an empty NOERROR answer (NODATA), as a real
authoritative server would. Names are case-insensitive and a trailing dot is optional; Unicode names
are stored in their IDNA (``xn--``) form, which is how resolvers send them on the wire.

``on_query`` is called with every query answered (parsed, from the serving thread): tests and
benchmarks count the queries a scan asks. It must not raise: the query would go unanswered.

``cnames={"alias.example": "target.example"}`` makes a name an alias: like an authoritative server
for the whole zone (RFC 1034 §4.3.2), the answer holds the CNAME chain, at most
``MAX_CNAME_ANSWER`` records and each alias once (a loop ends the chain), then the records of the
last name; an unknown last name is NXDOMAIN with the chain.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import struct
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from trustscan.localworld.serving import ServerThreads

__all__ = ["LocalDNSServer"]

_TTL = 60
#: CNAME records one answer carries at most (BIND's limit is 16 too): a loop or a long chain stops here.
MAX_CNAME_ANSWER = 16



class LocalDNSServer:
    """Authoritative A/AAAA server for a fixed ``{name: [ip, ...]}`` map.

    Bind address must be on loopback (127.0.0.0/8 or ::1); ``port=0`` picks a free port that is
    free for both UDP and TCP, readable as ``.port`` after construction.
    """

    def __init__(
        self,
        records: Mapping[str, Iterable[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        caa: Mapping[str, Iterable[str]] | None = None,
        cnames: Mapping[str, str] | None = None,
        on_query: Callable[[dns.message.Message], None] | None = None,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"LocalDNSServer binds loopback only, not {host}")
        self.host = host
        self._records = _normalise(records)
        # CAA records (RFC 8659) in presentation form, e.g. '0 issue "ca.example"', for names in `records`.
        self._caa = MappingProxyType({
            dns.name.from_text(name.rstrip(".") + "."): tuple(values) for name, values in (caa or {}).items()
        })
        self._cnames = MappingProxyType({
            _absolute(alias): _absolute(target) for alias, target in (cnames or {}).items()
        })
        overlap = set(self._cnames) & set(self._records)
        if overlap:  # RFC 1034 §3.6.2: a CNAME owner has no other data
            raise ValueError(f"names with both a CNAME and addresses: {sorted(map(str, overlap))}")
        # Told every query it answers (from the serving threads), so tests and benchmarks can count them.
        self._on_query = on_query
        udp, tcp = _bind_pair(host, port, self._answer)
        self.port: int = udp.server_address[1]
        self._serving = ServerThreads("LocalDNS")
        self._serving.servers += [udp, tcp]

    @property
    def records(self) -> Mapping[dns.name.Name, tuple[str, ...]]:
        """The served records, keyed by absolute ``dns.name.Name`` (case-insensitive)."""
        return self._records

    def start(self) -> LocalDNSServer:
        """Serve in two daemon threads (UDP and TCP). Returns self."""
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets. Safe to call more than once."""
        self._serving.stop()

    def __enter__(self) -> LocalDNSServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        """Build the reply to one query in wire format; None means "send nothing"."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return _formerr(wire)
        if query.flags & dns.flags.QR:
            return None  # a response, not a query: answering could start a loop
        if self._on_query is not None:
            self._on_query(query)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        wire_out = self._fill(query, response).to_wire()
        limit = max(512, query.payload) if query.edns >= 0 else 512
        if udp and len(wire_out) > limit:  # tell the client to retry over TCP
            response.answer.clear()
            response.flags |= dns.flags.TC
            wire_out = response.to_wire()
        return wire_out

    def _fill(self, query: dns.message.Message, response: dns.message.Message) -> dns.message.Message:
        """Set the rcode and answer section of *response*."""
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        name = self._follow_cnames(question.name, question.rdtype, response)
        addresses = self._records.get(name)
        if addresses is None:
            if name not in self._cnames:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        if question.rdtype == dns.rdatatype.CAA:
            if self._caa.get(name):
                response.answer.append(dns.rrset.from_text_list(
                    name, _TTL, dns.rdataclass.IN, dns.rdatatype.CAA, list(self._caa[name])))
            return response
        wanted = {dns.rdatatype.A: 4, dns.rdatatype.AAAA: 6}.get(question.rdtype)
        matching = [ip for ip in addresses if ipaddress.ip_address(ip).version == wanted]
        if matching:
            response.answer.append(
                dns.rrset.from_text_list(name, _TTL, dns.rdataclass.IN, question.rdtype, matching)
            )
        return response

    def _follow_cnames(self, name: dns.name.Name, rdtype: int, response: dns.message.Message) -> dns.name.Name:
        """Add the CNAME chain from *name* to *response*; the name whose records answer the query."""
        seen: set[dns.name.Name] = set()
        while name in self._cnames and name not in seen and len(seen) < MAX_CNAME_ANSWER:
            seen.add(name)
            target = self._cnames[name]
            response.answer.append(dns.rrset.from_text_list(
                name, _TTL, dns.rdataclass.IN, dns.rdatatype.CNAME, [target.to_text()]))
            if rdtype == dns.rdatatype.CNAME:
                break  # asked for the CNAME itself: the chain is not followed
            name = target
        return name


def _normalise(records: Mapping[str, Iterable[str]]) -> Mapping[dns.name.Name, tuple[str, ...]]:
    table: dict[dns.name.Name, tuple[str, ...]] = {}
    for name, addresses in records.items():
        ips = tuple(str(ipaddress.ip_address(ip)) for ip in addresses)  # validates early
        table[_absolute(name)] = ips
    return MappingProxyType(table)


def _absolute(name: str) -> dns.name.Name:
    # from_text makes the name absolute and IDNA-encodes Unicode; Name compares case-insensitively.
    return dns.name.from_text(name.rstrip(".") + ".")


def _formerr(wire: bytes) -> bytes | None:
    """A FORMERR reply echoing the query ID, or None if there is not even a DNS header."""
    if len(wire) < 12 or wire[2] & 0x80:  # too short, or QR set (a response)
        return None
    (query_id,) = struct.unpack("!H", wire[:2])
    flags = 0x8000 | (wire[2] & 0x78) << 8 | dns.rcode.FORMERR  # QR, echo opcode, rcode
    return struct.pack("!HHHHHH", query_id, flags, 0, 0, 0, 0)


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.answer(data, udp=True)  # type: ignore[attr-defined]
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            while True:  # RFC 7766: a client may send several length-prefixed queries per connection
                header = _recv_exact(conn, 2)
                if header is None:
                    return
                (length,) = struct.unpack("!H", header)
                data = _recv_exact(conn, length)
                if data is None:
                    return
                reply = self.server.answer(data, udp=False)  # type: ignore[attr-defined]
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return  # client went away or timed out; nothing to clean up beyond the socket


class _UDPServer(socketserver.UDPServer):
    # Each query is answered inline by the serving thread: an answer is computed from memory and never
    # waits, and a thread per datagram cost more CPU than the answer (~0.9 ms a query), taken from the
    # cores the scanner under test runs on.

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass  # one bad packet must never take the server down or spam stderr


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass


def _bind_pair(host: str, port: int, answer: Callable[..., bytes | None]) -> tuple[_UDPServer, _TCPServer]:
    """Bind UDP and TCP on the same port; with port 0, retry until a port is free for both."""
    for _ in range(20):
        udp = _UDPServer((host, port), _UDPHandler)
        try:
            tcp = _TCPServer((host, udp.server_address[1]), _TCPHandler)
        except OSError:
            udp.server_close()
            if port:
                raise
            continue
        udp.answer = answer  # type: ignore[attr-defined]
        tcp.answer = answer  # type: ignore[attr-defined]
        return udp, tcp
    raise OSError("could not find a port free for both UDP and TCP")


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    buf = b""
    while len(buf) < size:
        chunk = conn.recv(size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
