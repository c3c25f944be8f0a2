"""Atomic folder writes: a temporary sibling folder, moved into place when complete.

What it guarantees (:func:`write_atomic_dir`):

* **Only results are replaced.** An existing folder is replaced only with ``force``, and only when
  it holds this package's manifest (``manifest.json`` written by helsemod, or a dataset folder's
  ``dataset.yaml``); never a link, a mount point, or the current folder or one above it.
* **Never half a folder.** Files are written into ``.<name>.helsemod-tmp-XXXXXXXX`` beside the
  target, then moved into place in one step: a new folder with Linux's ``renameat2`` and
  ``RENAME_NOREPLACE`` (if another process created the folder meanwhile, this one fails and
  leaves it alone), an existing one with ``RENAME_EXCHANGE`` (old and new swap names at once;
  the old is then deleted). Where the system has no ``renameat2`` (not Linux, or a file system
  without it) the old folder is first renamed to ``.<name>.helsemod-old-XXXXXXXX``; a writer
  killed between the two renames leaves the final name absent, and the next write to that
  parent puts the old folder back before anything else (the documented recovery).
* **One writer per folder.** A writer holds an exclusive lock (``flock``) on its temporary
  folder and on the folder it replaces; a second writer to the same folder fails with one line.
* **No leftovers.** On an error or SIGTERM the temporary folder is removed; after ``kill -9``
  it is left, unlocked, and the next write into the same parent removes it (older than
  :data:`STALE_AGE_S` seconds and no longer locked by a live writer).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import _paths
from .errors import HelsemodError, Terminated

try:  # POSIX; elsewhere stale temporaries are recognised by age alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

TMP, OLD = ".helsemod-tmp-", ".helsemod-old-"
_OURS = re.compile(r"^\.(?P<name>.+)(?P<kind>\.helsemod-(?:tmp|old)-)[A-Za-z0-9_]{8}$")
#: A temporary folder this old and not locked is a leftover of a killed writer.
STALE_AGE_S = 2.0
MANIFEST_MAX_BYTES = 1_000_000
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


def write_atomic(path, write) -> Path:
    """Create ``path`` atomically: ``write(tmp_path)`` fills a temporary file in the same
    folder, which then gets the usual permissions (0666 less the umask) and is renamed into
    place. A failure leaves any previous file untouched and no temporary file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_atomic_dir(out_dir, files: dict[str, callable], force: bool = False) -> Path:
    """Create ``out_dir`` with ``files`` (name -> writer(path)) all at once (see the module).

    A failure leaves any previous folder untouched and no temporary folder behind.
    Raises :class:`HelsemodError` with one line for anything the file system refuses.
    """
    out_dir = Path(out_dir)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_sigterm_unwinds())
        replacing = check_target(out_dir, force, create_parent=True)
        if replacing:
            stack.enter_context(_locked(out_dir, f"{_paths.show(out_dir)}: being replaced by another process; "
                                                 "try again when it has finished"))
        tmp = _make_temp(out_dir)
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        stack.enter_context(_locked(tmp, "temporary folder locked"))
        try:
            for name, writer in files.items():
                writer(tmp / name)
        except OSError as exc:
            raise HelsemodError(f"{_paths.show(out_dir)}: cannot write {name} ({_paths.reason(exc)})") from None
        _install(tmp, out_dir, replacing)
    return out_dir


def check_target(out_dir, force: bool, create_parent: bool = False) -> bool:
    """Whether writing ``out_dir`` replaces a folder (True) or creates one (False); one line
    (:class:`HelsemodError`) where it may not be written. Removes leftovers of killed writers in
    its parent (and puts back a folder a killed writer had moved aside). Call it before a long
    computation to fail early."""
    out_dir = Path(out_dir)
    if not str(out_dir).strip():
        raise HelsemodError("output folder: empty path")
    parent = out_dir.parent
    if create_parent:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in (parent, *parent.parents) if os.path.lexists(p)), None)
            why = f"{_paths.show(blocker)} is a file, not a folder" if blocker is not None and not blocker.is_dir() \
                else _paths.reason(exc)
            raise HelsemodError(f"{_paths.show(out_dir)}: cannot create its folder ({why})") from None
    try:
        os.stat(parent)  # can we reach it at all? (is_dir() below would raise on a folder we may not enter)
        exists = os.path.lexists(out_dir)
    except FileNotFoundError:
        return False  # created with its parents when written
    except OSError as exc:
        raise HelsemodError(f"{_paths.show(out_dir)}: cannot reach its folder ({_paths.reason(exc)})") from None
    if parent.is_dir():
        clean_stale(parent)
    if not exists:
        return False
    if not force:
        raise HelsemodError(f"{_paths.show(out_dir)}: already exists; use --force to overwrite")
    why = _not_replaceable(out_dir)
    if why:
        raise HelsemodError(f"{_paths.show(out_dir)}: {why}; --force replaces only a folder written by helsemod "
                            "(remove it yourself, or choose another --out)")
    return True


def _not_replaceable(folder: Path) -> str | None:
    """Why ``folder`` may not be replaced by --force (None: it may)."""
    if folder.is_symlink():
        return "is a symbolic link"
    if not folder.is_dir():
        return "is a file, not a results folder"
    try:
        real, cwd = _paths.resolved(folder), Path.cwd().resolve()
    except (ValueError, OSError) as exc:
        return f"cannot be resolved ({exc})"
    if os.path.ismount(folder) or real == Path(real.anchor):
        return "is a mount point"
    if cwd.is_relative_to(real):
        return "is the current folder or holds it"
    if real == Path.home().resolve():
        return "is the home folder"
    return None if is_ours(folder) else "holds no helsemod manifest (manifest.json or dataset.yaml)"


def is_ours(folder) -> bool:
    """Whether ``folder`` was written by this package: a ``manifest.json`` of helsemod's (a
    results, comparison, sensitivity or import folder) or a dataset folder's ``dataset.yaml``."""
    folder = Path(folder)
    try:
        man = json.loads(_paths.read_limited(folder / "manifest.json", MANIFEST_MAX_BYTES).decode("utf-8"))
        if isinstance(man, dict) and (man.get("package") == "helsemod_py" or str(man.get("tool", "")).startswith(
                "helsemod") or {"scenario_hash", "dataset_hash"} <= set(man)):
            return True
    except (ValueError, OSError):
        pass
    try:
        head = _paths.read_limited(folder / "dataset.yaml", MANIFEST_MAX_BYTES).decode("utf-8", errors="replace")
    except (ValueError, OSError):
        return False
    return re.search(r"^format:\s*['\"]?helsemod-dataset/", head, re.M) is not None


def clean_stale(parent: Path) -> list[Path]:
    """Remove leftovers of killed writers in ``parent``: temporary folders no live writer holds
    (older than :data:`STALE_AGE_S`); a folder moved aside (``-old-``) goes back to its name where
    that name is missing. Returns what was removed or restored."""
    done = []
    try:
        entries = [e for e in os.scandir(parent) if _OURS.match(e.name)]
    except OSError:
        return done
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_symlink() or not entry.is_dir() or time.time() - entry.stat().st_mtime < STALE_AGE_S:
                continue
            with _locked(path, None):
                m = _OURS.match(entry.name)
                target = parent / m.group("name")
                if m.group("kind") == OLD and not os.path.lexists(target):
                    os.rename(path, target)  # a writer died between its two renames: put it back
                else:
                    shutil.rmtree(path)
            done.append(path)
        except (OSError, _Busy):
            continue  # a live writer's, or gone already
    return done


class _Busy(Exception):
    pass


@contextlib.contextmanager
def _locked(folder: Path, busy: str | None):
    """Hold an exclusive lock on ``folder`` (an open file descriptor of it, ``flock``): released
    when the block ends or the process dies. ``busy``: the error when another process holds it
    (None: raise :class:`_Busy`)."""
    if fcntl is None:  # pragma: no cover - no locks: age alone tells leftovers
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if busy is None:
                raise _Busy() from None
            raise HelsemodError(busy) from None
        yield
    finally:
        os.close(fd)


def _make_temp(out_dir: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{TMP}", dir=out_dir.parent))
    except OSError as exc:
        raise HelsemodError(f"{_paths.show(out_dir)}: cannot write there ({_paths.reason(exc)})") from None


def _install(tmp: Path, out_dir: Path, replacing: bool) -> None:
    """Move the finished ``tmp`` to ``out_dir`` in one step (see the module)."""
    try:
        if not replacing:
            if not _rename2(tmp, out_dir, _RENAME_NOREPLACE):
                if os.path.lexists(out_dir):  # no renameat2: check, then rename (a small window)
                    raise FileExistsError(errno.EEXIST, "exists", str(out_dir))
                os.rename(tmp, out_dir)
        elif _rename2(tmp, out_dir, _RENAME_EXCHANGE):
            shutil.rmtree(tmp, ignore_errors=True)  # the old folder, now under the temporary name
        else:
            aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{OLD}", dir=out_dir.parent))
            os.rename(out_dir, aside)  # killed from here ...
            os.rename(tmp, out_dir)  # ... to here, clean_stale() puts `aside` back
            shutil.rmtree(aside, ignore_errors=True)
    except FileExistsError:
        raise HelsemodError(f"{_paths.show(out_dir)}: was created by another process while this one ran; "
                            "left as it is (run again with --force to replace it)") from None
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise HelsemodError(f"{_paths.show(out_dir)}: was created by another process while this one ran; "
                                "left as it is (run again with --force to replace it)") from None
        raise HelsemodError(f"{_paths.show(out_dir)}: cannot move the results into place ({_paths.reason(exc)})") \
            from None


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """Linux ``renameat2(src, dst, flags)``: True when done, False where the system or the file
    system does not offer it; other failures raise :class:`OSError`."""
    fn = _libc_renameat2()
    if fn is None:
        return False
    if fn(-100, os.fsencode(src), -100, os.fsencode(dst), flags) == 0:  # -100: AT_FDCWD
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


_RENAMEAT2: list = []


def _libc_renameat2():
    if not _RENAMEAT2:
        fn = None
        if sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL(None, use_errno=True).renameat2
                fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                fn.restype = ctypes.c_int
            except (OSError, AttributeError):
                fn = None
        _RENAMEAT2.append(fn)
    return _RENAMEAT2[0]


@contextlib.contextmanager
def _sigterm_unwinds():
    """While writing, SIGTERM unwinds (the temporary folder is removed) instead of killing the
    process outright; only where nobody else handles SIGTERM (the CLI does)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def unwind(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
