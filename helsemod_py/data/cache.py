"""A binary cache of loaded dataset folders, keyed by the content of their files.

Parsing the long CSV tables of a real-size dataset takes seconds; reading the same arrays back
from one uncompressed ``.npz`` file takes a few hundredths. :meth:`Dataset.load
<helsemod_py.data.dataset.Dataset.load>` asks :func:`key` for the SHA-256 of everything the
loader reads (``dataset.yaml``, ``regions.csv`` and every parameter file, byte for byte, with
the schema and this package's version), and looks the arrays up under that key. Any change of any
file gives another key, so a stale entry is never used; it ages out (:data:`KEEP` entries are
kept, the least recently used go first).

The cache is an optimisation only: where it cannot be read or written (no home folder, a
read-only disk, a corrupt or foreign file) the dataset is parsed as if there were no cache, and
an entry is used only when every array has the shape and dtype the schema asks for (read with
``allow_pickle=False``; the loaded dataset is validated in full either way).

Hashing a real-size dataset's files (about 50 MB) and parsing its ``dataset.yaml`` take a tenth of a
second that a warm ``helsemod run`` notices, so two small indexes sit beside the entries:

* ``stat/``: like git's index, the digest of a list of files under their path, size, inode, and
  modification and change times (nanoseconds). Any write to a file changes its change time, which
  no user can set back; a list is recorded only when every file was last changed more than
  :data:`SETTLED` seconds earlier, so a write within the clock's resolution after recording
  cannot go unseen.
* ``meta/``: a ``dataset.yaml`` as parsed, as JSON, under the SHA-256 of its bytes; kept only
  where JSON gives back exactly what YAML gave.

Where: ``$HELSEMOD_CACHE_DIR`` when set (empty or ``off``: no cache), else the user cache folder
(``platformdirs``: ``~/.cache/helsemod`` on Linux), in a ``datasets`` subfolder.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from .._version import __version__
from .schema import PARAMETERS

#: Bumped when the layout of an entry changes.
CACHE_FORMAT = "helsemod-dataset-cache/1"
#: Entries kept (each is the size of a dataset's arrays, about 45 MB for real-size Norway).
KEEP = 8
ENV = "HELSEMOD_CACHE_DIR"
_CHUNK = 1 << 20
#: Seconds since a file's last change before its stat may stand for its content.
SETTLED = 2.0
#: Entries kept in each of the small indexes (``stat/``, ``meta/``).
KEEP_SMALL = 64


def folder() -> Path | None:
    """The cache folder (not created here), or None when caching is switched off."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip() in ("", "off", "0") else Path(env) / "datasets"
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("helsemod", appauthor=False)) / "datasets"
    except Exception:  # noqa: BLE001 - no home folder or no platformdirs: no cache
        return None


def key(files: list[Path | None], max_bytes: int, salt: object = None) -> str | None:
    """SHA-256 of the files' contents (None: a file left out) with the schema, the package version
    and ``salt`` (the loader's limits); None where a file is not a plain readable file of at most
    ``max_bytes`` (the loader then parses it and says why). Files whose stat was recorded with their
    digest (``stat/``, see the module docstring) are not read again."""
    head = repr((CACHE_FORMAT, __version__, salt, [(n, s.dims, s.lo, s.hi, s.default)
                                                   for n, s in PARAMETERS.items()])).encode()
    stats = _stats(files, max_bytes)
    if stats is None:
        return None
    sig = hashlib.sha256(head + repr(stats).encode()).hexdigest()
    known = _read_small("stat", sig)
    if known is not None and len(known) == 64 and all(c in "0123456789abcdef" for c in known):
        return known
    digest = _content_key(head, files, max_bytes)
    settled = time.time_ns() - int(SETTLED * 1e9)
    if digest is not None and all(st is None or max(st[3], st[4]) < settled for st in stats):
        _write_small("stat", sig, digest)
    return digest


def _stats(files, max_bytes: int):
    """Path, size, inode, device, change and modification times (ns) of each file; None where one is
    not a plain file of at most ``max_bytes``."""
    out = []
    for f in files:
        if f is None:
            out.append(None)
            continue
        try:
            st = os.stat(f)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        out.append((os.path.abspath(f), st.st_size, st.st_ino, st.st_ctime_ns, st.st_mtime_ns, st.st_dev))
    return out


def _content_key(head: bytes, files, max_bytes: int) -> str | None:
    h = hashlib.sha256()
    h.update(head)
    for f in files:
        if f is None:
            h.update(b"\x00missing\x00")
            continue
        try:  # non-blocking: a named pipe in place of a file must not hang the loader
            fd = os.open(f, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except (OSError, ValueError):
            return None
        with os.fdopen(fd, "rb", buffering=0) as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
                return None
            h.update(f"\x00{f.name}\x00{st.st_size}\x00".encode())
            try:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
            except OSError:
                return None
    return h.hexdigest()


def parsed_meta(raw: bytes, parse):
    """``parse()`` of a ``dataset.yaml`` whose bytes are ``raw``, from ``meta/`` where it was parsed
    before (the same bytes give the same document; JSON must give it back exactly to be kept)."""
    digest = hashlib.sha256(repr((CACHE_FORMAT, __version__)).encode() + raw).hexdigest()
    text = _read_small("meta", digest)
    if text is not None:
        try:
            return json.loads(text)
        except ValueError:
            pass
    meta = parse()
    try:
        text = json.dumps(meta, ensure_ascii=False, allow_nan=False)
        if json.loads(text) == meta and isinstance(meta, dict):
            _write_small("meta", digest, text)
    except (TypeError, ValueError):  # dates, sets, ...: parsed each time
        pass
    return meta


def _read_small(kind: str, name: str) -> str | None:
    base = folder()
    if base is None:
        return None
    try:
        with open(base / kind / name, encoding="utf-8") as fh:
            return fh.read(1 << 22)
    except (OSError, ValueError):
        return None


def _write_small(kind: str, name: str, text: str) -> None:
    """Write one small index entry atomically; drop the oldest beyond :data:`KEEP_SMALL`."""
    base = folder()
    if base is not None:
        _store(base / kind, name, "*", KEEP_SMALL, lambda fh: fh.write(text.encode("utf-8")))


def _store(where: Path, name: str, pattern: str, keep: int, fill) -> bool:
    """Write the file ``where/name`` atomically (``fill(fh)`` writes a temporary file in ``where``,
    renamed into place), then drop the oldest files matching ``pattern`` beyond ``keep``; False
    where it cannot be written (no temporary file is left behind)."""
    tmp = None
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=where)
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
        os.replace(tmp, where / name)
        tmp = None
        _prune(where, pattern, keep)
    except (OSError, ValueError):
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return True


def read(digest: str | None, shapes: dict[str, tuple]) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``digest``, or None (no entry, or one that is not exactly the
    arrays ``shapes`` names — parameter name to shape, a subset of the schema — as float64)."""
    base = folder()
    if digest is None or base is None:
        return None
    f = base / f"{digest}.npz"
    try:
        with np.load(f, allow_pickle=False) as z:
            if set(z.files) != set(shapes):
                return None
            arrays = {}
            for name, want in shapes.items():
                arr = z[name]
                if arr.shape != tuple(want) or arr.dtype != np.float64:
                    return None
                arrays[name] = arr
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        return None
    try:
        os.utime(f)  # most recently used (a read-only cache is still read)
    except OSError:
        pass
    return arrays


def write(digest: str | None, arrays: dict[str, np.ndarray]) -> bool:
    """Store ``arrays`` under ``digest`` (atomically: a temporary file renamed into place) and
    drop the oldest entries beyond :data:`KEEP`; False where the cache cannot be written."""
    base = folder()
    if digest is None or base is None:
        return False
    return _store(base, f"{digest}.npz", "*.npz", KEEP, lambda fh: np.savez(
        fh, **{k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}))


def _prune(base: Path, pattern: str = "*.npz", keep: int | None = None) -> None:
    """Drop the least recently used files matching ``pattern`` beyond ``keep`` (default :data:`KEEP`)."""
    keep = KEEP if keep is None else keep
    entries = []
    for f in base.glob(pattern):
        if f.name.startswith(".tmp-"):
            continue
        try:
            entries.append((f.stat().st_mtime, f))
        except OSError:
            continue
    for _, f in sorted(entries, reverse=True)[keep:]:
        try:
            f.unlink()
        except OSError:
            pass


def clear() -> int:
    """Remove every entry; the number removed."""
    base = folder()
    n = 0
    if base is not None and base.is_dir():
        for f in [*base.glob("*.npz"), *base.glob("stat/*"), *base.glob("meta/*")]:
            try:
                f.unlink()
                n += f.suffix == ".npz"
            except OSError:
                pass
    return n
