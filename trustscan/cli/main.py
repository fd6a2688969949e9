"""The `trustscan` entry point: the command group, its one-line errors, and the commands it registers.

Each command group lives in its own module (audit, bulk, ci, declare, demo, lists, publish, rules);
the options they share are declared once in `trustscan.cli.options`, the exit codes in
`trustscan.cli.exitcodes`. Wiring only: parse, call the library, choose an output, pick the exit code.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import click
from cryptography.utils import CryptographyDeprecationWarning

from trustscan import __version__
from trustscan.cli.audit import audit
from trustscan.cli.bulk import bulk, portfolio_command
from trustscan.cli.ci import diff_command
from trustscan.cli.declare import declare
from trustscan.cli.demo import demo
from trustscan.cli.exitcodes import AUDIT_EXITS, ExitCode
from trustscan.cli.lists import lists
from trustscan.cli.publish import COMMANDS as PUBLISH_COMMANDS
from trustscan.cli.rules import list_rules


class OneLineErrors(click.Group):
    """Every usage error is one line on stderr with exit code 2, never a usage dump or traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # sslyze's bundled trust store trips a known cryptography deprecation warning on every
        # scan; it says nothing about the audited site, so users should not see it.
        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
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


for _command in (audit, demo, list_rules, bulk, portfolio_command, diff_command, lists, declare, *PUBLISH_COMMANDS):
    main.add_command(_command)
