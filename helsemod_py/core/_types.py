"""numba types of the kernels' arguments.

Inputs are read-only arrays of any layout ('A'): the model passes broadcast views
(stride 0 along dimensions a parameter does not vary in) without copying, and full arrays
where a scenario made them vary. Explicit signatures compile each kernel once (and cache it
on disk), whatever layout the caller has.
"""

from numba import types

F64 = types.float64
I64 = types.int64
BOOL = types.boolean


def inp(ndim: int):
    """Read-only float64 input of any layout."""
    return types.Array(F64, ndim, "A", readonly=True)


def out(ndim: int):
    """Writable C-contiguous float64 output."""
    return types.Array(F64, ndim, "C")


def idx(ndim: int = 1):
    """Read-only int64 index array."""
    return types.Array(I64, ndim, "A", readonly=True)


def cin(ndim: int):
    """Read-only C-contiguous float64 input (see ``supply.compact``)."""
    return types.Array(F64, ndim, "C", readonly=True)
