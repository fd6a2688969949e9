"""The snapshot cache folder: import, list, load and remove "do not visit" list snapshots.

Each snapshot NAME is two files: `NAME.list` (the bytes exactly as imported) and `NAME.json`
(name, source, import time, SHA-256, entry count). Both are written atomically (temporary file
+ rename), data first, so a crash never leaves a half-written snapshot; the hash is checked at
every load, so a report's SHA-256 is the hash of what was actually matched.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trustscan.core.atomicwrite import write_atomically
from trustscan.core.errors import InputFileError, NotAList, SnapshotError
from trustscan.lists.formats import ParsedList, check_list
from trustscan.lists.matcher import Snapshot, SnapshotInfo, snapshot_from_bytes
from trustscan.net.files import read_capped_file, read_input_file

#: Largest snapshot accepted (files and downloads): the ministry list is a few thousand names;
#: big public hosts lists are ~5 MB. The cap keeps a wrong file from exhausting memory.
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_META_VERSION = 1
_MAX_META_BYTES = 64 * 1024  # a snapshot's metadata is a few hundred bytes


def default_lists_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$TRUSTSCAN_CACHE_DIR`, else `$XDG_CACHE_HOME/trustscan/lists`, else `~/.cache/trustscan/lists`."""
    env = os.environ if environ is None else environ
    if env.get("TRUSTSCAN_CACHE_DIR"):
        return Path(env["TRUSTSCAN_CACHE_DIR"])
    xdg = env.get("XDG_CACHE_HOME", "")
    # XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "trustscan" / "lists"


def check_name(name: str) -> str:
    """A snapshot name is a file name: letters, digits, `.`, `_`, `-`; never a path."""
    if not _NAME.match(name) or name in (".", ".."):
        raise SnapshotError(f"invalid snapshot name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit")
    return name


@dataclass(frozen=True)
class ImportResult:
    """What `import_bytes` stored, and the lines it could not use."""

    info: SnapshotInfo
    parsed: ParsedList
    replaced: bool


class SnapshotStore:
    """One cache folder of snapshots; the folder is created on first import."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _paths(self, name: str) -> tuple[Path, Path]:
        check_name(name)
        return self.directory / f"{name}.list", self.directory / f"{name}.json"

    def import_bytes(self, name: str, data: bytes, *, source: str, now: datetime, filename: str = "") -> ImportResult:
        """Parse and store a snapshot (replacing one of the same name); refuses a list with no entries."""
        data_path, meta_path = self._paths(name)
        if len(data) > MAX_SNAPSHOT_BYTES:
            raise SnapshotError(f"snapshot is larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB")
        snapshot, parsed = snapshot_from_bytes(data, name=name, source=source, imported_at=now,
                                               origin="cache", filename=filename)
        if not parsed.entries:
            first = f"; first: line {parsed.rejected[0].line}: {parsed.rejected[0].reason}" if parsed.rejected else ""
            raise SnapshotError(
                f"no domain, URL, IP or CIDR entry found ({parsed.rejected_count} unusable lines{first})")
        replaced = meta_path.exists()
        meta = _meta_json(snapshot.info)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(data_path, data)
            write_atomically(meta_path, (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode())
        except OSError as exc:
            raise SnapshotError(f"cannot write to {self.directory}: {exc.strerror or exc}") from None
        return ImportResult(snapshot.info, parsed, replaced)

    def infos(self) -> list[SnapshotInfo | SnapshotError]:
        """Metadata of every stored snapshot, by name; a broken one appears as its error."""
        return [self._read_meta(name) for name in self.names()]

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        try:
            files = sorted(self.directory.glob("*.json"))
        except OSError as exc:
            raise SnapshotError(f"cannot read {self.directory}: {exc.strerror or exc}") from None
        return [f.stem for f in files if _NAME.match(f.stem)]

    def _read_meta(self, name: str) -> SnapshotInfo | SnapshotError:
        _, meta_path = self._paths(name)
        try:
            raw = json.loads(read_capped_file(meta_path, _MAX_META_BYTES).decode("utf-8"))
            return _info_from_meta(raw, name)
        except (InputFileError, ValueError, KeyError, TypeError) as exc:
            return SnapshotError(f"snapshot {name}: unreadable metadata ({type(exc).__name__})")

    def load(self, name: str) -> Snapshot:
        """Read and re-parse one snapshot, checking its bytes against the recorded SHA-256."""
        data_path, _ = self._paths(name)
        info = self._read_meta(name)
        if isinstance(info, SnapshotError):
            raise info
        data = _read_capped(data_path, f"snapshot {name}")
        snapshot, _ = snapshot_from_bytes(data, name=name, source=info.source, imported_at=info.imported_at,
                                          origin="cache")
        if snapshot.info.sha256 != info.sha256:
            raise SnapshotError(f"snapshot {name} in {self.directory} does not match its recorded SHA-256; "
                                f"import it again")
        return snapshot

    def load_all(self) -> list[Snapshot]:
        return [self.load(name) for name in self.names()]

    def remove(self, name: str) -> SnapshotInfo | SnapshotError:
        """Delete a snapshot (metadata first, so a half-removed one is never loaded)."""
        data_path, meta_path = self._paths(name)
        if not meta_path.exists():
            raise SnapshotError(f"no snapshot named {name!r} in {self.directory}")
        info = self._read_meta(name)
        try:
            meta_path.unlink()
            data_path.unlink(missing_ok=True)
        except OSError as exc:
            raise SnapshotError(f"cannot remove snapshot {name}: {exc.strerror or exc}") from None
        return info


def load_file(path: Path) -> Snapshot:
    """A `--blocklist FILE` snapshot; its age is the file's modification time. NotAList names the file."""
    data = _read_capped(path, str(path))
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise SnapshotError(f"cannot read blocklist {path}: {exc.strerror or exc}") from None
    try:
        snapshot, _ = snapshot_from_bytes(data, name=f"file:{path.name}", source=str(path), imported_at=modified,
                                          origin="file", filename=path.name)
    except NotAList as exc:
        raise NotAList(f"{path} is not a list: {exc}") from None
    return snapshot


def check_list_file(path: Path) -> None:
    """Refuse a `--blocklist FILE` before an audit reads it: InputFileError (FIFO, device, folder,
    over MAX_SNAPSHOT_BYTES) or NotAList (binary, blank, broken JSON); its entries are not parsed."""
    check_list(read_capped_file(path, MAX_SNAPSHOT_BYTES))


def load_configured(*, files: Iterable[Path] = (), cache_dir: Path | None = None) -> list[Snapshot]:
    """Every cached snapshot (if a cache folder is given) and every file, in that order."""
    snapshots = SnapshotStore(cache_dir).load_all() if cache_dir is not None else []
    return snapshots + [load_file(Path(path)) for path in files]


def _read_capped(path: Path, what: str) -> bytes:
    return read_input_file(path, MAX_SNAPSHOT_BYTES, SnapshotError, what=what,
                           too_large=f"{what} is larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB")


def _meta_json(info: SnapshotInfo) -> dict[str, Any]:
    return {
        "version": _META_VERSION,
        "name": info.name,
        "source": info.source,
        "imported_at": info.imported_at.isoformat(timespec="seconds"),
        "sha256": info.sha256,
        "entries": info.entries,
        "rejected_lines": info.rejected,
        "format": info.format,
    }


def _info_from_meta(raw: Any, name: str) -> SnapshotInfo:
    if not isinstance(raw, dict) or raw.get("version") != _META_VERSION or raw.get("name") != name:
        raise ValueError("not a trustscan snapshot")
    imported = datetime.fromisoformat(str(raw["imported_at"]))
    if imported.tzinfo is None:
        raise ValueError("import time without a time zone")
    sha256 = str(raw["sha256"])
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("bad sha256")
    return SnapshotInfo(name=name, source=str(raw["source"]), imported_at=imported, sha256=sha256,
                        entries=int(raw["entries"]), rejected=int(raw["rejected_lines"]),
                        format=str(raw["format"]), origin="cache")
