"""Every exit code of the command line, defined once; each command's help text is generated from here.

The codes are stable (scripts and CI pipelines branch on them; README documents them):

======  ===========  ====================================================================================
code    name         meaning
======  ===========  ====================================================================================
0       OK           success: every checked criterion (or site) passes; nothing regressed; valid signature
1       FAIL         a definite problem: a criterion (or a site) fails, a rule regressed, a signature is invalid
2       USAGE        usage or input error: bad target or option, missing or malformed file, refused address
3       INCOMPLETE   something could not be checked: a probe could not run, a site could not be fully audited
4       EXPIRED      `verify`: the signature is valid but the declaration has expired
130     INTERRUPTED  Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)
======  ===========  ====================================================================================

Not every command uses every code; the `*_EXITS` tables below say which codes each command can end
with and what they mean there, and `--help` shows exactly that table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit status of a `trustscan` command (see the module docstring's table)."""

    OK = 0
    FAIL = 1
    USAGE = 2
    INCOMPLETE = 3
    EXPIRED = 4
    INTERRUPTED = 130


#: A finished gate's outcome (`trustscan.ci.gate`) -> the audit's exit code; a definite failure outranks incomplete.
OUTCOME_EXIT = {"pass": ExitCode.OK, "fail": ExitCode.FAIL, "error": ExitCode.INCOMPLETE}


@dataclass(frozen=True)
class ExitTable:
    """What one command's exit codes mean, in the order `--help` lists them."""

    rows: tuple[tuple[ExitCode, str], ...]
    note: str = ""  #: a last line under the table

    def epilog(self) -> str:
        """The `Exit codes:` block for a click epilog (`\\b` keeps click from rewrapping it)."""
        width = max(len(str(int(code))) for code, _ in self.rows)
        lines = ["\b", "Exit codes:", *(f"  {int(code):<{width}}  {text}" for code, text in self.rows)]
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)

    def inline(self) -> str:
        """One sentence for a short help text: `Exit codes: 0 written, 2 usage error.`"""
        return "Exit codes: " + ", ".join(f"{int(code)} {text}" for code, text in self.rows) + "."


AUDIT_EXITS = ExitTable((
    (ExitCode.OK, "every checked criterion passes"),
    (ExitCode.FAIL, "at least one criterion fails"),
    (ExitCode.USAGE, "usage or input error (bad target, missing file, refused address)"),
    (ExitCode.INCOMPLETE, "audit incomplete (unreachable host, DNS failure, deadline hit)"),
), note="With --policy or --baseline the policy decides 0, 1 or 3 (see the report's \"policy\").")

BULK_EXITS = ExitTable((
    (ExitCode.OK, "every site passes"),
    (ExitCode.FAIL, "at least one site fails"),
    (ExitCode.USAGE, "usage or input error (unreadable portfolio, no valid target, nothing to resume, "
                     "database or broker unreachable)"),
    (ExitCode.INCOMPLETE, "no site fails, but at least one could not be fully checked; or the database or "
                          "broker went away mid-run, or a worker process could not start"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM): finished sites are kept; continue with --resume"),
))

MONITOR_EXITS = ExitTable((
    (ExitCode.OK, "--rounds done and every site passes in the last round"),
    (ExitCode.FAIL, "--rounds done and at least one site fails in the last round"),
    (ExitCode.USAGE, "usage or input error (unreadable portfolio, no valid target, bad --every, broker unreachable)"),
    (ExitCode.INCOMPLETE, "--rounds done; no site fails in the last round, but one could not be fully checked; "
                          "or the database or broker went away"),
    (ExitCode.INTERRUPTED, "stopped (Ctrl-C or SIGTERM): the round in flight keeps its finished sites"),
))

SITE_EXITS = ExitTable((
    (ExitCode.OK, "written"),
    (ExitCode.USAGE, "usage error (no database, no such run, folder not empty and not a trustscan site, bad key)"),
))

WORKER_EXITS = ExitTable((
    (ExitCode.OK, "stopped cleanly (SIGTERM or Ctrl-C: sites in hand finish first)"),
    (ExitCode.USAGE, "usage error, or the broker or database unreachable at start"),
    (ExitCode.INCOMPLETE, "the broker or database went away while running (unfinished sites are redelivered)"),
))

DIFF_EXITS = ExitTable((
    (ExitCode.OK, "no rule regressed from OLD to NEW"),
    (ExitCode.FAIL, "at least one rule regressed (a new failure or warning)"),
    (ExitCode.USAGE, "usage or input error (missing file, not a trustscan report)"),
))

PUBLISH_EXITS = ExitTable((
    (ExitCode.OK, "success; verify: valid and unexpired"),
    (ExitCode.FAIL, "the signature is invalid or the file was altered"),
    (ExitCode.USAGE, "usage or input error (missing or malformed file, wrong key)"),
    (ExitCode.EXPIRED, "verify: valid signature, but the declaration has expired"),
))

LISTS_EXITS = ExitTable((
    (ExitCode.OK, "done"),
    (ExitCode.USAGE, "usage or input error (bad name, unreadable or empty list, unknown snapshot, "
                     "fetch refused or failed)"),
))

PORTFOLIO_EXITS = ExitTable((
    (ExitCode.OK, "written"),
    (ExitCode.USAGE, "usage error (no database, no such run)"),
))

DECLARE_EXITS = ExitTable((
    (ExitCode.OK, "written"),
    (ExitCode.USAGE, "invalid or missing input, or the file exists (use --force)"),
))
