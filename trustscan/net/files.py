"""The one way trustscan reads a file the user names, and the one way it replaces a file.

A file the user names (a list snapshot, a policy, a declaration, a key, a portfolio, a report)
is read with a cap chosen by its kind, so a wrong path cannot make trustscan read gigabytes or
hang: the path is opened non-blocking and checked with fstat before a byte is read, so a FIFO,
a device or a directory is refused at once instead of blocking or streaming forever.

Files trustscan writes for later runs are replaced by `trustscan.core.atomicwrite` (the layer below,
so that core's own kept data can use it too).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from trustscan.core.errors import InputFileError, InputFileTooLarge

__all__ = ["FileVersion", "check_readable_file", "file_version", "read_capped_file", "read_input_file"]

# O_NONBLOCK: opening a FIFO for reading must not wait for a writer. O_NOCTTY: a terminal device
# never becomes the controlling terminal. Both are absent on Windows, where neither case arises.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


#: (path, mtime_ns, size): what a memo of a file's parsed contents is keyed by, so that a changed file
#: is read again and an unchanged one never is.
FileVersion = tuple[str, int, int]


def file_version(path: Path | str) -> FileVersion:
    """The version of the file at `path` (OSError when it cannot be stat'ed)."""
    status = os.stat(path)
    return str(path), status.st_mtime_ns, status.st_size


def read_capped_file(path: Path | str, cap: int) -> bytes:
    """The bytes of the regular file at `path`, at most `cap` of them.

    Raises InputFileError (missing, unreadable, not a regular file) or InputFileTooLarge (over
    `cap`, by its size or by what could be read: a file may grow while it is read).
    """
    descriptor = _open_regular(path, cap)
    try:
        with os.fdopen(descriptor, "rb") as handle:
            descriptor = -1  # the file object closes it now
            data = handle.read(cap + 1)
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    if len(data) > cap:
        raise InputFileTooLarge(path, cap, len(data))
    return data


def read_input_file(
    path: Path | str, cap: int, error: Callable[[str], Exception], *, what: str,
    too_large: str | Callable[[int], str] | None = None,
) -> bytes:
    """`read_capped_file`, its refusal raised as the caller's own one-line error: `error(message)`.

    The message is `cannot read {what}: {reason}`, or `too_large` for a file over the cap when the
    caller words that case itself (a callable gets the size, as far as known).
    """
    try:
        return read_capped_file(path, cap)
    except InputFileTooLarge as exc:
        if too_large is None:
            raise error(f"cannot read {what}: {exc.reason}") from None
        raise error(too_large if isinstance(too_large, str) else too_large(exc.size)) from None
    except InputFileError as exc:
        raise error(f"cannot read {what}: {exc.reason}") from None


def check_readable_file(path: Path | str, cap: int) -> None:
    """Refuse at once what `read_capped_file(path, cap)` would refuse by its kind or size, reading nothing.

    For a file a later stage reads (or hands to a library that reads it by name, as OpenSSL and
    sslyze do with a CA bundle): a command can then fail before its work starts, not in the middle.
    """
    os.close(_open_regular(path, cap))


def _open_regular(path: Path | str, cap: int) -> int:
    """An open descriptor of the regular file at `path`, whose size is at most `cap`."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(descriptor)
        problem: InputFileError | None = None
        if not stat.S_ISREG(info.st_mode):
            problem = InputFileError(path, "not a regular file")
        elif info.st_size > cap:
            problem = InputFileTooLarge(path, cap, info.st_size)
    except OSError as exc:
        problem = InputFileError(path, exc.strerror or str(exc))
    if problem is not None:
        os.close(descriptor)
        raise problem
    return descriptor
