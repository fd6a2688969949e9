"""Parse YAML: trustscan's own data with libyaml (kept as JSON once parsed), users' files elsewhere.

PyYAML's pure-Python safe loader took ~0.2 s of every command's start for the rule files alone;
the C loader builds the same plain data (it is equally safe: no object construction), and what a
shipped file parses to is kept beside it (below), so a command with nothing new to parse does not
even import PyYAML. A file a user hands over (the CI policy, the owner's declaration) goes through
`trustscan.core.useryaml` instead: the one guarded loader.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from trustscan.core.atomicwrite import write_atomically
from trustscan.core.errors import RuleError

#: The most characters of a value any error message repeats.
MAX_EXCERPT = 80


def excerpt(value: Any, limit: int = MAX_EXCERPT, *, quoted: bool = True) -> str:
    """`repr(value)` (or `str` when not *quoted*) on one line, cut to *limit* characters with an ellipsis.

    Containers are summarised before their repr is built, so a huge value costs nothing to describe.
    """
    if isinstance(value, dict | list | tuple | set) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value)} items>"
    text = " ".join((repr(value) if quoted else str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_yaml(text: str) -> Any:
    """Plain data from YAML text; raises yaml.YAMLError like yaml.safe_load."""
    import yaml  # only when there is something to parse (~14 ms to import)

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe, C or Python


# --- the shipped files' parsed data, kept beside them --------------------------------------------
#
# libyaml parses in C, but PyYAML builds the Python objects in pure Python: the ~30 shipped files an
# audit reads cost 30-45 ms of CPU (measured with time.thread_time inside one audit), a twentieth of
# the whole audit. So what a shipped file parses to is kept as JSON in the rules' `__pycache__`
# folder, the place (and so the trust) of Python's own bytecode for the modules beside it, with the
# SHA-256 of the text it came from; json reads them all in ~4 ms. A text that changed is parsed
# again (the digest differs); data JSON cannot hold exactly (a date, a non-string key) is never
# kept; nothing is written when Python is told not to write bytecode (PYTHONDONTWRITEBYTECODE, -B)
# or the folder cannot be written (a read-only install): then every run parses, as before.

COMPILED_FOLDER = "__pycache__"


def shipped_yaml(*parts: str) -> Any:
    """The data of the shipped file `rules/<parts>` (e.g. "data", "trackers.yaml"); see above."""
    return load_shipped_text(resources.files("trustscan.rules").joinpath(*parts).read_text(encoding="utf-8"),
                             "/".join(parts))


def load_shipped_text(text: str, name: str) -> Any:
    """The data of *text*, which is the shipped file *name*: from the kept JSON when it is this text's."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    kept = kept_path(name)
    if kept is not None:
        try:
            record = json.loads(kept.read_bytes())
            if isinstance(record, dict) and record.get("sha256") == digest and "data" in record:
                return record["data"]
        except (OSError, ValueError):
            pass  # none yet, unreadable or damaged: parse the text, as if there were none
    data = load_yaml(text)
    if kept is not None and not sys.dont_write_bytecode:
        _keep(kept, digest, data)
    return data


def kept_path(name: str) -> Path | None:
    """Where the parsed data of the shipped file *name* is kept; None when the rules are not a folder."""
    folder = resources.files("trustscan.rules")
    if not isinstance(folder, Path):  # not a folder on disk (a zip): nothing is kept beside it
        return None
    return folder / COMPILED_FOLDER / (name.replace("/", "--") + ".json")


def _keep(path: Path, digest: str, data: Any) -> None:
    try:
        payload = json.dumps({"sha256": digest, "data": data}, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return  # a date, a set, NaN: JSON cannot hold it
    if json.loads(payload)["data"] != data:  # a non-string key (1 -> "1"): JSON would change it
        return
    with contextlib.suppress(OSError):  # read-only install, full disk: parse next time too
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, payload.encode("utf-8"), mode=0o644)  # readable by every user, as bytecode is


class RuleFile(NamedTuple):
    """One shipped `rules/*.yaml`: its name, its text (the ruleset digest covers it) and its data."""

    name: str
    text: str
    data: Any


def load_rule_yaml(text: str, source: str, *, shipped: bool = False) -> Any:
    """Plain data from a rule file's text; invalid YAML is a RuleError naming the file.

    *shipped*: the text is the shipped file *source*, whose parsed data is kept (see above)."""
    try:
        return load_shipped_text(text, source) if shipped else load_yaml(text)
    except Exception as exc:
        yaml = sys.modules.get("yaml")  # a YAML error can only come from a parse, which imported it
        if yaml is not None and isinstance(exc, yaml.YAMLError):
            raise RuleError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None
        raise


@functools.cache
def rule_files() -> tuple[RuleFile, ...]:
    """Every `rules/*.yaml` of the installed `trustscan.rules` package, by name, parsed once.

    A rule file holds the rule and its Vietnamese and English wording side by side, so both the
    ruleset (judge/ruleset.py) and the message catalogue (core/catalog.py) read it; the cache
    makes a command that needs both parse it once (cached: the shipped files are immutable data).
    """
    entries = sorted(
        (entry for entry in resources.files("trustscan.rules").iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    files = []
    for entry in entries:
        text = entry.read_text(encoding="utf-8")
        files.append(RuleFile(entry.name, text, load_rule_yaml(text, entry.name, shipped=True)))
    return tuple(files)
