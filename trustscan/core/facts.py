"""The grammar of fact paths, shared by the probes that declare facts and the rules that read them.

A fact path is `probe.key.subkey`; in a declaration a segment `*` matches any one key (keys that are
data, such as a protocol name). A path is declared when it is a declared fact or a group above
declared facts (the whole mapping).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

__all__ = ["is_declared", "is_group"]


def _matches(pattern: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    return len(pattern) == len(keys) and all(p in ("*", key) for p, key in zip(pattern, keys, strict=True))


def _patterns(declared: Collection[str]) -> Iterator[tuple[str, ...]]:
    return (tuple(pattern.split(".")) for pattern in declared)


def is_declared(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when `path` is a declared fact, or a group of declared facts (a prefix of one).

    `path` is dotted, or a tuple of keys (a produced key may itself contain a dot).
    """
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(_matches(pattern[: len(keys)], keys) for pattern in _patterns(declared))


def is_group(path: str | tuple[str, ...], declared: Collection[str]) -> bool:
    """True when declared facts sit below `path`: every key produced inside it must be declared."""
    keys = tuple(path.split(".")) if isinstance(path, str) else path
    return any(len(pattern) > len(keys) and _matches(pattern[: len(keys)], keys) for pattern in _patterns(declared))
