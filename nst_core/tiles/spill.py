"""Per-tile records kept in an unnamed temporary file instead of memory.

Why: a tiled scale keeps every tile's latest Gram sums (the whole picture's style loss is their sum,
and a tile's visit needs the sum without its own share). That is 2.4 MB a tile with VGG19's five style
layers: 190 MB for the 80 tiles of a 4096x3072 print, memory that grew with the picture. A visit reads
one record and writes one back (a few ms against seconds of optimisation); the file is deleted by the
system when closed, even if the process dies.
"""
from __future__ import annotations

import os
import tempfile
from typing import Sequence

import numpy as np


class Spill:
    """``n`` records, each a list of float32 arrays of the given ``shapes``, in a temporary file."""

    def __init__(self, n: int, shapes: Sequence[tuple[int, ...]]):
        self.shapes = [tuple(s) for s in shapes]
        self._sizes = [int(np.prod(s)) * 4 for s in self.shapes]
        self._record = sum(self._sizes)
        self._file = tempfile.TemporaryFile(prefix="nst-tiles-")
        self._file.truncate(n * self._record)

    def put(self, i: int, arrays: Sequence[np.ndarray]) -> None:
        offset = i * self._record
        for a, shape, size in zip(arrays, self.shapes, self._sizes):
            data = np.ascontiguousarray(a, np.float32)
            if data.shape != shape:
                raise ValueError(f"record {i}: an array of shape {data.shape}, expected {shape}")
            if os.pwrite(self._file.fileno(), data, offset) != size:
                raise OSError(f"tile record {i}: a short write (is the temporary directory's disk full?)")
            offset += size

    def get(self, i: int) -> list[np.ndarray]:
        data = os.pread(self._file.fileno(), self._record, i * self._record)
        if len(data) != self._record:
            raise OSError(f"tile record {i}: read {len(data)} of {self._record} bytes")
        out, offset = [], 0
        for shape, size in zip(self.shapes, self._sizes):
            out.append(np.frombuffer(data, np.float32, size // 4, offset).reshape(shape))
            offset += size
        return out

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PairSpill:
    """Each tile's L-BFGS curvature pairs between its visits (``nst_core.tiles.kept_lbfgs``): up to ``m`` pairs
    (s, y) of float32 [n_i] for record i, in a temporary file. 2 x 10 x 4 bytes a variable: 120 MB for
    a 640 px tile's crop, about 6 GB for all 80 tiles of a 4096x3072 print, which memory could not hold."""

    def __init__(self, sizes: Sequence[int], m: int):
        self.sizes, self.m = [int(n) for n in sizes], m
        self._start = np.concatenate([[0], np.cumsum([self._record(n, m) for n in self.sizes])]).astype(np.int64)
        self._count = [0] * len(self.sizes)
        self._file = tempfile.TemporaryFile(prefix="nst-pairs-")
        self._file.truncate(int(self._start[-1]))  # sparse: the disk is taken as pairs are written

    @staticmethod
    def _record(n: int, m: int) -> int:
        return 2 * m * int(n) * 4  # m pairs of two float32 vectors

    @classmethod
    def bytes_for(cls, sizes: Sequence[int], m: int) -> int:
        return sum(cls._record(n, m) for n in sizes)

    def put(self, i: int, pairs) -> None:
        pairs = list(pairs)[-self.m:]
        offset = int(self._start[i])
        for s, y in pairs:
            for v in (s, y):
                data = np.ascontiguousarray(v, np.float32).ravel()
                if data.size != self.sizes[i]:
                    raise ValueError(f"record {i}: a vector of {data.size} values, expected {self.sizes[i]}")
                if os.pwrite(self._file.fileno(), data, offset) != data.nbytes:
                    raise OSError(f"tile record {i}: a short write (is the temporary directory's disk full?)")
                offset += data.nbytes
        self._count[i] = len(pairs)

    def get(self, i: int) -> list[tuple[np.ndarray, np.ndarray]]:
        n, out, offset = self.sizes[i], [], int(self._start[i])
        for _ in range(self._count[i]):
            data = os.pread(self._file.fileno(), 2 * n * 4, offset)
            if len(data) != 2 * n * 4:
                raise OSError(f"tile record {i}: read {len(data)} of {2 * n * 4} bytes")
            out.append((np.frombuffer(data, np.float32, n), np.frombuffer(data, np.float32, n, n * 4)))
            offset += 2 * n * 4
        return out

    def clear(self) -> None:
        """Forget every record's pairs (the weights changed: the curvature was of another loss)."""
        self._count = [0] * len(self.sizes)

    def close(self) -> None:
        self._file.close()
