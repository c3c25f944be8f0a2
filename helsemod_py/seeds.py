"""One tree of random seeds for a run: every random number comes from a node keyed by what it is for.

A run's ``seed`` is the root of a :class:`numpy.random.SeedSequence` tree. The node of draw ``d``
of something named ``key`` in a ``domain`` (an uncertainty entry by its id, a measure's evidence
range by the measure's id, the Poisson noise of the flows) is::

    SeedSequence(seed, spawn_key=(domain, *sha256(key) as four 32-bit words, d mod 2**32, d // 2**32))

Every part of the key has a fixed width, so two different (domain, key, draw) never share a node:
seed 5 draw 1 and seed 6 draw 0 are unrelated streams, and a draw is the same whatever the number
of draws, the chunking, the threads, the order of the entries in the file or the entries added
beside it. Seeds are whole numbers from 0 to :data:`MAX_SEED`.

numba's generator (used inside the kernels for the noise) takes a 32-bit seed; it gets one
generated from the draw's node (:func:`noise_seeds`), not the sum of seed and draw, so nothing is
truncated and nothing overlaps by construction (two of the 2**32 possible seeds coincide by chance
with probability about n²/2**33 for n draws, as for any 32-bit seed).
"""

from __future__ import annotations

import hashlib

import numpy as np

from .errors import HelsemodError, quote

#: Largest seed (seeds are 0 .. 2**32 - 1: the command line's --seed and the manifests).
MAX_SEED = 2 ** 32 - 1
#: Domains of the tree (the first word of a node's key).
UNCERTAINTY, EVIDENCE, NOISE = 1, 2, 3
_WORD = 2 ** 32


def check_seed(seed) -> int:
    """``seed`` as an int, or one line saying why it is not a seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise HelsemodError(f"seed {quote(seed)}: must be a whole number from 0 to {MAX_SEED}")
    return int(seed)


def _words(key: str) -> tuple[int, ...]:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def node(seed: int, domain: int, key: str, draw: int) -> np.random.SeedSequence:
    """The seed node of draw ``draw`` of ``key`` in ``domain`` (see the module's docstring)."""
    d = int(draw)
    if d < 0:
        raise ValueError(f"draw {d}: draw numbers are not negative")
    return np.random.SeedSequence(check_seed(seed), spawn_key=(domain, *_words(key), d % _WORD, d // _WORD))


def generator(seed: int, domain: int, key: str, draw: int) -> np.random.Generator:
    """A generator for draw ``draw`` of ``key`` in ``domain``."""
    return np.random.default_rng(node(seed, domain, key, draw))


def noise_seeds(seed: int, draws) -> np.ndarray:
    """32-bit seeds of numba's generator for the Poisson noise of each draw (uint32)."""
    return np.array([node(seed, NOISE, "noise", d).generate_state(1, np.uint32)[0] for d in draws], dtype=np.uint32)
