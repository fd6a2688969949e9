"""Run a few socketserver servers in daemon threads, and stop them cleanly: shared by the local
DNS server and the demo sites."""

from __future__ import annotations

import socketserver
import threading


class ServerThreads:
    """The servers of one local service and the threads that serve them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Serve every server in its own daemon thread."""
        if self._threads:
            raise RuntimeError("already started")
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name=f"{self.name}-{type(server).__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving and close the sockets. Safe to call more than once, and before start()."""
        for server in self.servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.servers.clear()
