"""``python -m tests.world``: start the test world, print where everything is, stop on Ctrl-C."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

from . import running_world


def main() -> None:
    # Treat SIGTERM like Ctrl-C so `kill <pid>` also stops nginx and removes the temp dir.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trustscan-world-") as tmp, running_world(Path(tmp)) as world:
        print(world.table())
        print(f"\nstarted in {time.monotonic() - started:.2f}s; nginx pid {world.nginx_pid}")
        print(f"try: dig @{world.dns_ip} -p {world.dns_port} good.trustscan.test")
        print(
            f"     curl --cacert {world.ca_bundle} --resolve {world.site('good').host}:"
            f"{world.https_port}:{world.site('good').ip} {world.site('good').https_url()}"
        )
        print("Ctrl-C (or SIGTERM) to stop.")
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
