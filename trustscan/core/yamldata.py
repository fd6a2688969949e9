"""Parse YAML: trustscan's own data with libyaml, and the files users write with one guarded loader.

PyYAML's pure-Python safe loader took ~0.2 s of every command's start for the rule files alone;
the C loader builds the same plain data (it is equally safe: no object construction).

A file a user hands over (the CI policy, the owner's declaration) goes through `load_user_yaml`
instead: a safe loader that refuses anchors and aliases (a 409-byte "billion laughs" document
expands to gigabytes once anything walks it), nesting deeper than a small bound, and impossible
dates (`2026-02-30`), each as one short line naming the line and column; no message carries more
than `excerpt` of a value.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from trustscan.core.errors import RuleError, YamlInputError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: How deep a user's YAML may nest: a policy or a declaration needs 3 levels; room to spare, no more.
MAX_USER_YAML_DEPTH = 8
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


class _UserLoader(yaml.SafeLoader):
    """SafeLoader without anchors or aliases, bounded in depth, with a date check (see the module doc)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(problem="anchors (&name) and aliases (*name) are not allowed",
                                       problem_mark=event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_USER_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_USER_YAML_DEPTH} levels",
                                           problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:  # 2026-02-30, 2026-13-01: the pattern matched, the calendar did not
            raise yaml.MarkedYAMLError(problem=f"{excerpt(node.value)} is not a real date ({exc})",
                                       problem_mark=node.start_mark) from None


_UserLoader.add_constructor("tag:yaml.org,2002:timestamp", _UserLoader.construct_yaml_timestamp)


def load_user_yaml(text: str) -> Any:
    """Plain data from the YAML a user wrote; YamlInputError (one short line) for anything refused."""
    try:
        return yaml.load(text, Loader=_UserLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        problem = " ".join(str(exc.problem or exc.context or "malformed").split())
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise YamlInputError(f"{_cut(problem)}{where}") from None
    except (yaml.YAMLError, ValueError, TypeError, LookupError, ArithmeticError) as exc:  # `!!int 0xZZ`, `!!int`
        detail = " ".join(str(exc).split())
        raise YamlInputError(_cut(f"malformed value ({detail})" if detail else "malformed value")) from None


def _cut(text: str, limit: int = 2 * MAX_EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_yaml(text: str) -> Any:
    """Plain data from YAML text; raises yaml.YAMLError like yaml.safe_load."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python


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
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                         delete=False) as out:
            out.write(payload)
        os.chmod(out.name, 0o644)  # readable by every user of the install, as bytecode is (mkstemp makes 0600)
        os.replace(out.name, path)  # atomic: a reader sees the old file or the new one, never half


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
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None


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
