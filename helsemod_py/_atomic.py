"""Atomic folder writes: everything goes to a temporary sibling folder, renamed when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import HelsemodError


def write_atomic_dir(out_dir, files: dict[str, callable], force: bool = False) -> Path:
    """Create ``out_dir`` with ``files`` (name -> writer(path)) all at once.

    Everything is written into a temporary sibling folder and renamed into place only when
    complete: a failure leaves any previous results untouched and no half-written folder.
    An existing ``out_dir`` is replaced only with ``force``.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise HelsemodError(f"{out_dir}: already exists; use --force to overwrite")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for name, writer in files.items():
            writer(tmp / name)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "x")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
