"""`trustscan declare` and `audit --declaration`: the owner's declaration on the command line.

Wiring only: prompts and flags become a document, `trustscan.owner.declaration` validates it against
the committed schema, and the file is written. Prompts appear only when stdin is a terminal, so
scripts and CI get a one-line usage error naming the missing flags instead of a hung read.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trustscan.cli.common import write_file
from trustscan.cli.exitcodes import DECLARE_EXITS
from trustscan.cli.options import FILE, lang_option, output_option
from trustscan.core.catalog import load_catalog
from trustscan.core.errors import DeclarationError
from trustscan.owner.declaration import (
    DECLARATION_SCHEMA_VERSION,
    Declaration,
    dump_declaration,
    load_declaration,
    parse_declaration,
)

__all__ = ["declare", "declaration_option", "declaration_from_option"]

F = TypeVar("F", bound=Callable[..., Any])

#: Flag name -> (prompt message id, value type); the order is the prompts' order.
_FIELDS: dict[str, tuple[str, Any]] = {
    "organisation": ("declare.prompt.organisation", str),
    "system": ("declare.prompt.system", str),
    "site": ("declare.prompt.site", str),
    "security_level": ("declare.prompt.security_level", click.IntRange(1, 5)),
    "approval_number": ("declare.prompt.approval_number", str),
    "approval_date": ("declare.prompt.approval_date", str),
    "approval_issuer": ("declare.prompt.approval_issuer", str),
    "last_assessment": ("declare.prompt.last_assessment", str),
    "privacy_statement": ("declare.prompt.privacy_statement", str),
    "signed_by": ("declare.prompt.signed_by", str),
    "signed_on": ("declare.prompt.signed_on", str),
    "security_contact": ("declare.prompt.security_contact", str),
}


def declaration_option(function: F) -> F:
    """The `--declaration FILE` option of `trustscan audit`."""
    return click.option(
        "--declaration", "declaration_file", type=FILE,
        help="The owner's declaration (written by `trustscan declare`): criterion a's approved security level, "
             "the criterion b commitment and the criterion e contact. Without it criterion a is `manual`.",
    )(function)


def declaration_from_option(path: Path | None) -> Declaration | None:
    """Load and validate `--declaration` before the audit starts; a bad file is a usage error (exit 2)."""
    if path is None:
        return None
    try:
        return load_declaration(path, today=dt.datetime.now(dt.UTC).date())
    except DeclarationError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(name="declare", help="Write the owner's declaration (YAML, validated against declaration.schema.json)."
                                    "\n\nGive every field as a flag (scripts), or run in a terminal to be prompted "
                                    f"for the missing ones.\n{DECLARE_EXITS.inline()}")
@output_option("Where to write the declaration.", default=Path("trustscan-declaration.yaml"), show_default=True)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--organisation", help="The organisation that owns the system (chủ quản).")
@click.option("--system", help="Name of the information system.")
@click.option("--site", "sites", multiple=True, help="Host name the declaration covers (repeatable).")
@click.option("--security-level", type=click.IntRange(1, 5),
              help="Security level 1-5 approved under Decree 85/2016/ND-CP.")
@click.option("--approval-number", help="Number of the decision approving the level (e.g. 123/QĐ-UBND).")
@click.option("--approval-date", metavar="YYYY-MM-DD", help="Date of that decision.")
@click.option("--approval-issuer", help="Who issued that decision.")
@click.option("--last-assessment", metavar="YYYY-MM-DD", help="Date of the last security inspection/assessment.")
@click.option("--privacy-statement",
              help="The criterion b commitment (default: the standard statement in --lang).")
@click.option("--signed-by", help="Who signs the criterion b commitment (name, title).")
@click.option("--signed-on", metavar="YYYY-MM-DD", help="Date the commitment was signed (default: today).")
@click.option("--security-contact", metavar="URI", help="Criterion e contact: mailto:, https:// or tel: URI.")
@lang_option("Language of prompts and of the default commitment statement.")
def declare(output: Path, force: bool, sites: tuple[str, ...], lang: str, **flags: Any) -> None:
    catalog = load_catalog(lang)
    today = dt.datetime.now(dt.UTC).date()
    if output.exists() and not force:
        raise click.UsageError(f"{output} already exists; use --force to overwrite it")
    flags["site"] = list(sites) or None
    flags["privacy_statement"] = flags["privacy_statement"] or catalog.text("declaration.default_privacy_statement")
    flags["signed_on"] = flags["signed_on"] or today.isoformat()
    missing = [name for name in _FIELDS if not flags.get(name)]
    if missing and sys.stdin.isatty():
        for name in missing:
            message_id, kind = _FIELDS[name]
            value = click.prompt(catalog.text(message_id), type=kind)
            flags[name] = [value] if name == "site" else value
        missing = []
    if missing:
        names = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise click.UsageError(f"missing {names} (stdin is not a terminal, so nothing can be asked)")
    document = {
        "schema_version": DECLARATION_SCHEMA_VERSION,
        "organisation": flags["organisation"],
        "system": flags["system"],
        "sites": flags["site"],
        "security_level": flags["security_level"],
        "approval": {"number": flags["approval_number"], "date": flags["approval_date"],
                     "issuer": flags["approval_issuer"]},
        "last_assessment": flags["last_assessment"],
        "privacy_commitment": {"statement": flags["privacy_statement"], "signed_by": flags["signed_by"],
                               "signed_on": flags["signed_on"]},
        "security_contact": flags["security_contact"],
    }
    try:
        declaration = parse_declaration(document, today=today)
    except DeclarationError as exc:
        raise click.UsageError(str(exc)) from None
    write_file(output, dump_declaration(declaration))
    click.echo(catalog.text("declaration.written", {"path": str(output)}))
