"""The `trustscan` entry point: the command group, its one-line errors, and the commands it registers.

Each command group lives in its own module (audit, bulk, ci, declare, demo, lists, publish, rules);
the options they share are declared once in `trustscan.cli.options`, the exit codes in
`trustscan.cli.exitcodes`. Wiring only: parse, call the library, choose an output, pick the exit code.

Commands are registered by name and import path (`COMMANDS`) and a command's module is imported only
when that command runs or its help is shown: `trustscan audit --help` does not pay for the signing,
bulk or list modules (click's documented lazy-group pattern).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import sys
import threading
from typing import Any

import click

from trustscan import __version__
from trustscan.cli.exitcodes import AUDIT_EXITS, ExitCode
from trustscan.cli.startup import defer_collection, hide_known_warnings

#: Command name -> "module:attribute" of its click command, imported on first use.
COMMANDS = {
    "audit": "trustscan.cli.audit:audit",
    "badge": "trustscan.cli.publish:badge",
    "bulk": "trustscan.cli.bulk:bulk",
    "declare": "trustscan.cli.declare:declare",
    "demo": "trustscan.cli.demo:demo",
    "diff": "trustscan.cli.ci:diff_command",
    "keygen": "trustscan.cli.publish:keygen",
    "lists": "trustscan.cli.lists:lists",
    "monitor": "trustscan.cli.monitor:monitor",
    "portfolio": "trustscan.cli.bulk:portfolio_command",
    "publish": "trustscan.cli.site:publish_site",
    "report": "trustscan.cli.publish:report_command",
    "rules": "trustscan.cli.rules:list_rules",
    "sign": "trustscan.cli.publish:sign",
    "verify": "trustscan.cli.publish:verify",
    "worker": "trustscan.cli.worker:worker",
}


class LazyGroup(click.Group):
    """A group whose commands (`COMMANDS`) are imported when first looked up, not at start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"{COMMANDS[cmd_name]} is not the click command {cmd_name!r}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)


class OneLineErrors(LazyGroup):
    """Every usage error is one line on stderr with exit code 2, never a usage dump or traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        hide_known_warnings()
        try:
            # click's overloads of `main` cannot match a forwarded `*args` plus standalone_mode=False.
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("trustscan: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except click.ClickException as exc:
            message = exc.format_message().replace("\n", " ")
            click.echo(f"trustscan: error: {message}", err=True)
            sys.exit(ExitCode.USAGE if exc.exit_code in (1, 2) else exc.exit_code)
        except KeyboardInterrupt:
            click.echo("trustscan: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug must still end in one line and a documented code
            if os.environ.get("TRUSTSCAN_DEBUG"):
                raise
            click.echo(f"trustscan: internal error: {type(exc).__name__}: {exc} "
                       "(set TRUSTSCAN_DEBUG=1 for details)", err=True)
            sys.exit(ExitCode.INCOMPLETE)


@click.group(cls=OneLineErrors, epilog=AUDIT_EXITS.epilog())
@click.version_option(__version__, prog_name="trustscan")
def main() -> None:
    """trustscan: network trust (tín nhiệm mạng) self-assessment, Decree 137/2024/ND-CP Art. 21."""



def run() -> None:
    """The console script and `python -m trustscan`: `main`, then an exit without the interpreter's teardown.

    Once a command has returned, its files are written and closed and its connections shut; what is
    left is CPython's finalisation, which frees every object one by one and runs a last garbage
    collection: 0.06-0.2 s after an audit, a sixth of the whole command. So the process runs the
    `atexit` handlers, flushes its output and ends at once (`os._exit`), as long as no non-daemon
    thread is still running (then it ends the ordinary way, which waits for that thread).

    It also makes the end safe: a scan stopped at its deadline or by Ctrl-C leaves its sslyze
    handshake running in a daemon thread (it cannot be cancelled), and CPython's finalisation can
    abort the whole process when such a thread returns from C code (SIGABRT instead of the exit
    code; bpo-42969). Tests calling `main` in-process are unaffected.
    """
    defer_collection()
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if any(thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
           for thread in threading.enumerate()):
        sys.exit(code)
    if isinstance(code, str):  # sys.exit("message") prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code if isinstance(code, int) else 0)
