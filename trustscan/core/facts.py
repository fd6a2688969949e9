"""The grammar of fact paths, shared by the probes that declare facts and the rules that read them.

A fact path is `probe.key.subkey`; in a declaration a segment `*` matches any one key (keys that are
data, such as a protocol name). A path is declared when it is a declared fact or a group above
declared facts (the whole mapping).
"""

from __future__ import annotations

import functools
from collections.abc import Collection

__all__ = ["is_declared", "is_group"]


def _matches(pattern: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    return len(pattern) == len(keys) and all(p in ("*", key) for p, key in zip(pattern, keys, strict=True))


def _patterns(keys: tuple[str, ...], declared: Collection[str]) -> tuple[tuple[str, ...], ...]:
    """The declared patterns that can match `keys`: those of its first key (the probe) and those
    whose first segment is `*`, as key tuples."""
    groups = _grouped(frozenset(declared))
    if not keys:
        return tuple(pattern for group in groups.values() for pattern in group)
    return groups.get(keys[0], ()) + (groups.get("*", ()) if keys[0] != "*" else ())


@functools.lru_cache(maxsize=8)
def _grouped(declared: frozenset[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The patterns grouped by first key, once per declaration set: a rule set's ~250 paths are each
    compared with their own probe's few declarations, not all ~220 (it was 30 ms per start)."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for pattern in declared:
        keys = tuple(pattern.split("."))
        groups.setdefault(keys[0], []).append(keys)
    return {first: tuple(patterns) for first, patterns in groups.items()}


def is_declared(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when `path` is a declared fact, or a group of declared facts (a prefix of one).

    `path` is dotted, or a tuple of keys (a produced key may itself contain a dot).
    """
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(_matches(pattern[: len(keys)], keys) for pattern in _patterns(keys, declared))


def is_group(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when declared facts sit below `path`: every key produced inside it must be declared."""
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(len(pattern) > len(keys) and _matches(pattern[: len(keys)], keys)
               for pattern in _patterns(keys, declared))
