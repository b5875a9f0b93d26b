"""Give freed memory back to the system between the tiles of a print (glibc only; elsewhere nothing).

Why: a tile's visit frees its activations and its L-BFGS history (hundreds of MB) in buffers of many
sizes from several threads; glibc keeps much of that in its heaps, so a 4096 px print's resident memory
crept up visit by visit (2.9 to 3.2 GB). ``malloc_trim(0)`` returns the free pages of every heap.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> None:
    """Return the C heaps' free pages to the system (a few ms; a no-op without glibc)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
