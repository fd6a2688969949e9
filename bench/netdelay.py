"""A fixed one-way delay on every packet leaving through loopback, inside one network namespace.

`tc qdisc ... netem` is the usual tool, but this machine's kernel has no sch_netem (nor fq for an
eBPF departure-time delay). It does have the netfilter queue, so the same effect is built from it:
an iptables rule (inside the benchmark's own network namespace only) hands every packet leaving
through `lo` to queue N, and this program, reading that queue over netlink, accepts each packet
DELAY seconds after the kernel queued it. Both directions of a loopback connection leave through
`lo` once, so a delay of RTT/2 gives a round-trip time of RTT. Packets keep their order (a FIFO and
the kernel's batch verdict, which accepts every packet up to an id).

Only for benchmarks, only inside a throw-away namespace (bench/bench_latency.py creates and removes
it). Usage, inside the namespace: python bench/netdelay.py --queue 7 --delay 0.025
"""

from __future__ import annotations

import argparse
import collections
import errno
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 2, 3
NFQA_PACKET_HDR = 1
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQA_VERDICT_HDR = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1  # only the packet's metadata (its id) is copied to us, never its payload
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_NFGEN = struct.Struct("!BBH")  # nfgenmsg: family, version, resource id (the queue number)


def _attribute(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def _message(kind: int, queue: int, attributes: bytes, flags: int = NLM_F_REQUEST) -> bytes:
    body = _NFGEN.pack(socket.AF_UNSPEC, 0, queue) + attributes
    return _HEADER.pack(_HEADER.size + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, 0, 0) + body


class DelayQueue:
    """Holds every packet of netfilter queue *queue* for *delay* seconds, then accepts it."""

    def __init__(self, queue: int, delay: float) -> None:
        self.queue = queue
        self.delay = delay
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root): room for bursts
        self.sock.bind((0, 0))
        self._configure(_attribute(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET)))
        self._configure(_attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, NFQNL_COPY_META))
                        + _attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536)))
        self.sock.setblocking(False)
        self.held: collections.deque[tuple[float, int]] = collections.deque()
        self.packets = 0

    def _configure(self, attributes: bytes) -> None:
        self.sock.send(_message(NFQNL_MSG_CONFIG, self.queue, attributes, NLM_F_REQUEST | NLM_F_ACK))
        reply = self.sock.recv(65536)
        _length, kind, _flags, _seq, _port = _HEADER.unpack_from(reply)
        code = struct.unpack_from("=i", reply, _HEADER.size)[0] if kind == NLMSG_ERROR else 0
        if code:
            raise OSError(-code, f"netfilter queue {self.queue}: {os.strerror(-code)}")

    def _receive(self) -> None:
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:  # notifications lost: the next batch verdict covers them
                    continue
                raise
            arrived = time.monotonic()
            offset = 0
            while offset + _HEADER.size <= len(data):
                length, kind, _flags, _seq, _port = _HEADER.unpack_from(data, offset)
                if length < _HEADER.size:
                    break
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    self._packet(data[offset + _HEADER.size + _NFGEN.size: offset + length], arrived)
                offset += (length + 3) & ~3

    def _packet(self, attributes: bytes, arrived: float) -> None:
        offset = 0
        while offset + 4 <= len(attributes):
            length, kind = struct.unpack_from("=HH", attributes, offset)
            if length < 4:
                return
            if kind & 0x7FFF == NFQA_PACKET_HDR:
                packet_id = struct.unpack_from("!I", attributes, offset + 4)[0]
                self.held.append((arrived + self.delay, packet_id))
                self.packets += 1
                return
            offset += (length + 3) & ~3

    def _release_due(self) -> None:
        now = time.monotonic()
        last = None
        while self.held and self.held[0][0] <= now:
            last = self.held.popleft()[1]
        if last is not None:  # one batch verdict accepts every packet up to this id, in order
            verdict = _attribute(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, last))
            self.sock.send(_message(NFQNL_MSG_VERDICT_BATCH, self.queue, verdict))

    def serve(self, running: list[bool]) -> None:
        while running[0]:
            wait = max(0.0, self.held[0][0] - time.monotonic()) if self.held else 0.2
            readable, _, _ = select.select([self.sock], [], [], wait)
            if readable:
                self._receive()
            self._release_due()
        while self.held:  # let nothing stay queued behind us
            time.sleep(max(0.0, self.held[-1][0] - time.monotonic()))
            self._release_due()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", type=int, default=7)
    parser.add_argument("--delay", type=float, required=True, help="one-way delay in seconds (RTT/2)")
    args = parser.parse_args()
    running = [True]

    def stop(*_: object) -> None:
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delayer = DelayQueue(args.queue, args.delay)
    print("ready", flush=True)
    delayer.serve(running)
    print(f"netdelay: {delayer.packets} packets delayed by {args.delay * 1000:.0f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
