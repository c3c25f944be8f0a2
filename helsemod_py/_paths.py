"""Paths a user gives: one-line reasons for OS errors, short display, confinement to a folder.

Every function here turns what the operating system says (a symlink loop, a name too long, a
device instead of a file) into a short reason for a one-line error, never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: Longest path shown in full in a message; longer ones keep their start and end.
SHOW_LIMIT = 160

_REASONS = {
    errno.ENOENT: "not found",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ELOOP: "symbolic link loop",
    errno.ENAMETOOLONG: "path or file name too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted (immutable or protected)",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "is a folder, not a file",
    errno.EEXIST: "already exists",
    errno.ENOSPC: "no space left on the device",
    errno.EBUSY: "busy (a mount point or in use)",
    errno.EXDEV: "on another file system",
}


def reason(exc: BaseException) -> str:
    """A short reason for an OS error (or the RuntimeError of a symlink loop in Python < 3.13)."""
    if isinstance(exc, RuntimeError) and "loop" in str(exc).lower():
        return _REASONS[errno.ELOOP]
    code = getattr(exc, "errno", None)
    if code in _REASONS:
        return _REASONS[code]
    return getattr(exc, "strerror", None) or type(exc).__name__


def show(path, limit: int = SHOW_LIMIT) -> str:
    """The path as text for a message, its middle cut out when longer than ``limit``, control
    characters escaped."""
    text = str(path)
    if not text.isprintable():
        text = repr(text)[1:-1]
    if len(text) <= limit:
        return text
    keep = (limit - 3) // 2
    return f"{text[:keep]}...{text[-keep:]}"


class NotRegular(ValueError):
    """A path that is not a regular file one can read; ``reason`` says why in a few words."""

    def __init__(self, path, what: str, why: str):
        super().__init__(f"{show(path)}: {what} {why}")
        self.reason = why


def regular_file(path, what: str = "file") -> Path:
    """``path`` when it is a regular file (following links); otherwise :class:`NotRegular` (a
    ``ValueError``) with one line: not found, a folder, a device or pipe, a symlink loop, ..."""
    path = Path(path)
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:  # ValueError: an embedded NUL
        if getattr(exc, "errno", None) == errno.ENOENT:
            raise NotRegular(path, what, "not found") from None
        raise NotRegular(path, what, f"cannot be read ({reason(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise NotRegular(path, what, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise NotRegular(path, what, "is not a regular file (a device, pipe or socket)")
    return path


class Unresolvable(ValueError):
    """A path whose links cannot be resolved; ``reason`` says why in a few words."""

    def __init__(self, path, why: str):
        super().__init__(f"{show(path)}: {why}")
        self.reason = why


def resolved(path) -> Path:
    """``path`` made absolute with links resolved; :class:`Unresolvable` (a ``ValueError``) where
    it cannot be (a loop, a name too long, a NUL character)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise Unresolvable(path, reason(exc) if not isinstance(exc, ValueError) else "not a valid path") from None


def inside(path, root) -> bool:
    """Whether ``path`` (links resolved) lies in the folder ``root`` (links resolved)."""
    return resolved(path).is_relative_to(resolved(root))


def read_limited(path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never reading more than that);
    ``ValueError`` with one line otherwise."""
    path = regular_file(path, what)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ValueError(f"{show(path)}: cannot read the {what} ({reason(exc)})") from None
    if len(data) > limit:
        raise ValueError(f"{show(path)}: {what} is larger than the limit of {limit / 2 ** 20:.0f} MiB")
    return data
