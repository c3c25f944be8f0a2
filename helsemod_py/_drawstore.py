"""Exact quantiles over many Monte Carlo draws in bounded memory.

Each draw of an ensemble yields a few arrays (nation, county, municipality). Their quantiles over
the draws are exact only with every value at hand, so the values are kept -- in memory while they
are few, else streamed to an unnamed temporary file (``TMPDIR``; on Linux it never has a name, so
nothing is left behind even after ``kill -9``) -- and the quantiles are taken block by block of
cells: memory stays flat in the number of draws (about :data:`BLOCK_BYTES` twice, plus what is kept
in memory below :data:`MEMORY_BYTES`), and the result is ``np.quantile(values, q, axis=0)`` bit for
bit, since a cell's quantile depends on that cell's values alone.

The file holds the cells in column blocks, each block's draws contiguous: block ``b`` (cells
``c0:c1``) is an array ``[n_draws, c1 - c0]`` at byte ``8 * n_draws * c0``.
"""

from __future__ import annotations

import math
import shutil
import tempfile

import numpy as np

from .errors import HelsemodError

#: Values kept in memory up to this many bytes (1 000 draws of real-size Norway: about 120 MB).
MEMORY_BYTES = 256 * 2 ** 20
#: Bytes of one block of cells over all draws when the quantiles are taken.
BLOCK_BYTES = 64 * 2 ** 20


class DrawStore:
    """Values of ``n_draws`` draws of named arrays (name -> shape of one draw), added in chunks of
    consecutive draws, with exact quantiles over the draws.

    ``keep``: hold every draw in memory (:meth:`values` returns them); otherwise values beyond
    ``memory_bytes`` go to an unnamed temporary file in ``spill_dir`` (default: ``TMPDIR``).
    """

    def __init__(self, shapes: dict[str, tuple], n_draws: int, keep: bool = False, memory_bytes: int | None = None,
                 block_bytes: int | None = None, spill_dir=None):
        memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
        block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
        self.shapes = {k: tuple(int(x) for x in v) for k, v in shapes.items()}
        self.sizes = {k: math.prod(v) for k, v in self.shapes.items()}
        self.n = int(n_draws)
        self.cells = sum(self.sizes.values())
        self.filled = 0
        need = 8 * self.n * self.cells
        per_block = max(1, block_bytes // max(1, 8 * self.n))
        self.blocks = [(c, min(c + per_block, self.cells)) for c in range(0, self.cells, per_block)]
        self.file = None
        self.memory = None
        if keep or need <= memory_bytes:
            self.memory = np.empty((self.n, self.cells))
        else:
            self.file = _spill_file(need, spill_dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def add(self, first: int, parts: dict[str, np.ndarray]) -> None:
        """Values of draws ``first, first + 1, ...`` (each part ``[k, *shape]``), in draw order."""
        if first != self.filled:
            raise ValueError(f"draws must come in order: expected draw {self.filled}, got {first}")
        k = len(next(iter(parts.values())))
        rows = np.concatenate([np.asarray(parts[name], dtype=np.float64).reshape(k, self.sizes[name])
                               for name in self.shapes], axis=1)
        if self.memory is not None:
            self.memory[first:first + k] = rows
        else:
            for c0, c1 in self.blocks:
                chunk = np.ascontiguousarray(rows[:, c0:c1])
                self.file.seek(8 * (self.n * c0 + first * (c1 - c0)))
                self.file.write(memoryview(chunk).cast("B"))
        self.filled += k

    def _block(self, c0: int, c1: int) -> np.ndarray:
        if self.memory is not None:
            return self.memory[:, c0:c1]
        buf = np.empty((self.n, c1 - c0))
        view = memoryview(buf).cast("B")
        self.file.seek(8 * self.n * c0)
        got = 0
        while got < len(view):
            n = self.file.readinto(view[got:])
            if not n:
                raise OSError("the temporary file of the draws ended early")
            got += n
        return buf

    def quantiles(self, q) -> dict[str, np.ndarray]:
        """``np.quantile(values, q, axis=0)`` of every named array, ``[len(q), *shape]`` each."""
        if self.filled != self.n:
            raise ValueError(f"{self.filled} of {self.n} draws added")
        q = np.asarray(q, dtype=float)
        out = np.empty((len(q), self.cells))
        for c0, c1 in self.blocks:
            if self.file is not None:
                self.file.flush()
            out[:, c0:c1] = np.quantile(self._block(c0, c1), q, axis=0)
        return self._split(out, len(q))

    def values(self) -> dict[str, np.ndarray]:
        """Every draw, ``[n_draws, *shape]`` each (only when kept in memory)."""
        if self.memory is None:
            raise ValueError("the draws were streamed to a temporary file, not kept (keep_draws)")
        return self._split(self.memory, self.n)

    def _split(self, flat: np.ndarray, lead: int) -> dict[str, np.ndarray]:
        out, c = {}, 0
        for name, shape in self.shapes.items():
            out[name] = flat[:, c:c + self.sizes[name]].reshape((lead,) + shape)
            c += self.sizes[name]
        return out


def _spill_file(need: int, spill_dir):
    """An unnamed temporary file for ``need`` bytes, refused up front where the disk lacks room."""
    folder = spill_dir or tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < need + 2 ** 28:
        raise HelsemodError(f"the draws need {need / 2 ** 30:.1f} GiB of temporary space in {folder} "
                            f"({free / 2 ** 30:.1f} GiB free): set TMPDIR to a larger disk, or run fewer draws")
    try:
        return tempfile.TemporaryFile(dir=folder)
    except OSError as exc:
        raise HelsemodError(f"{folder}: cannot hold the draws' temporary file ({exc.strerror or exc})") from None


__all__ = ["DrawStore", "MEMORY_BYTES", "BLOCK_BYTES"]
