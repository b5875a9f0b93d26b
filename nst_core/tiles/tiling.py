"""Print sizes: where a picture is cut into overlapping tiles, their blending windows, and when to tile.

Pure numpy. A tile has a *support* (the pixels it optimises) and a *crop* (the support plus a fixed
context of the neighbours' current pixels, so that VGG19 sees across the support's edge). Neighbouring
supports overlap; each tile's *window* ramps from 1 to 0 across an overlap and its neighbour's from 0
to 1 (cos^2 and sin^2), so the windows sum to 1 at every pixel: the loss counts every position of the
picture once over all tiles, and a tile's result is blended into the picture without a step at its edge.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), half-open

# Memory in MiB (2^20 bytes: /usr/bin/time -v's kbytes / 1024, what the peaks the model is fitted to
# were read as; the budget `memory_budget_mb` is in the same unit). A process's peak while it runs steps
# on an image of N pixels: about PROCESS_BASE_MB + N * STEP_BYTES_PER_PIXEL / 2^20: activations, their
# gradients and Winograd's transformed tiles, and scipy's float64 history. The base is TensorFlow, the
# weights and the traced graphs. The fits: docs/print-sizes.md, The memory model's figures.
MIB = 1 << 20
# By the precision of the activations (``direct-bf16`` holds them, and their gradients, in half the bytes).
STEP_BYTES_PER_PIXEL = {"float32": 3775, "bfloat16": 2150}
PROCESS_BASE_MB = 1200
# A tile's step at a print size takes more a pixel than the probe's: its L-BFGS history is full (10
# pairs of float64 after a visit of 10 iterations, 480 bytes a pixel; the probe ran 3) and tiles of
# varying shapes leave the allocator more.
TILE_BYTES_PER_PIXEL = {"float32": 4300, "bfloat16": 2950}
# A tiled scale also holds the whole picture: float32 pixels (12 bytes a pixel), the photo (3), the
# previous scale's result (3), the preview's copies (3 + 3 + 3), and what the allocator keeps of the
# visits' buffers. 50 keeps a 2048x2048 print's 640 px tiles.
PICTURE_BYTES_PER_PIXEL = 50
MIN_TILE_SIZE = 128
# The joint mode (nst_core.tiles.joint) holds the optimiser's state of the whole picture: scipy's L-BFGS-B keeps
# (2m + 5) float64 numbers a variable with m pairs, and its driver x and the gradient again in float64
# and float32: about 24 x (2m + 9) bytes a pixel, 696 with m = 10.
def joint_bytes_per_pixel(history: int) -> int:
    return 24 * (2 * history + 9)


@dataclass(frozen=True)
class Tile:
    """One tile: ``support`` the pixels it optimises, ``crop`` what VGG19 sees (support plus context)."""

    index: int
    support: Box
    crop: Box

    @property
    def pixels(self) -> int:
        """The crop's pixels: what a step on this tile works on."""
        return (self.crop[1] - self.crop[0]) * (self.crop[3] - self.crop[2])


def _spans(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Supports along one axis: as few as cover ``length`` with at most ``size`` px each, all of one
    size, overlapping by ``overlap`` (give or take a pixel of rounding). Shrinking the tiles rather
    than spreading full-size ones keeps the overlap, which is paid for twice, small: three 512 px
    tiles across 1024 px would overlap by 256 px; three of 384 overlap by 64."""
    if length <= size:
        return [(0, length)]
    n = math.ceil((length - overlap) / (size - overlap))
    size = math.ceil((length + (n - 1) * overlap) / n)
    starts = [round(i * (length - size) / (n - 1)) for i in range(n)]
    return [(a, a + size) for a in starts]


def _ramp(n: int) -> np.ndarray:
    """n values rising from ~0 to ~1 (sin^2 at pixel centres); with its reverse they sum to 1."""
    t = (np.arange(n, dtype=np.float64) + 0.5) / n
    return np.sin(0.5 * np.pi * t) ** 2


def _axis_weights(spans: list[tuple[int, int]], i: int, length: int) -> np.ndarray:
    """float64 [length]: span i's share along the axis (sum over spans = 1 everywhere)."""
    a, b = spans[i]
    w = np.zeros(length)
    w[a:b] = 1.0
    if i > 0:  # rising across the overlap with the previous span
        lo, hi = a, spans[i - 1][1]
        w[lo:hi] = _ramp(hi - lo)
    if i + 1 < len(spans):  # falling across the overlap with the next one
        lo, hi = spans[i + 1][0], b
        w[lo:hi] = 1.0 - _ramp(hi - lo)
    return w


def tile_grid(shape: tuple[int, int], size: int, overlap: int, context: int) -> list[Tile]:
    """Tiles covering an image of ``shape`` (h, w), row by row: supports of ``size`` px (smaller
    where the picture is), overlapping by at least ``overlap``, each with ``context`` px around."""
    h, w = shape
    rows, cols = _spans(h, size, overlap), _spans(w, size, overlap)
    tiles = []
    for (y0, y1) in rows:
        for (x0, x1) in cols:
            crop = (max(0, y0 - context), min(h, y1 + context), max(0, x0 - context), min(w, x1 + context))
            tiles.append(Tile(len(tiles), (y0, y1, x0, x1), crop))
    return tiles


class Windows:
    """Each tile's window, float32 [crop h, crop w], made when asked (at 4096 px holding all 63 would
    take 80 MB of a 3 GB budget); over all tiles they sum to 1 at every pixel. ``Windows(...)[i]``,
    or iterate."""

    def __init__(self, shape: tuple[int, int], tiles: list[Tile], size: int, overlap: int):
        self.shape, self.tiles = shape, tiles
        self.rows, self.cols = _spans(shape[0], size, overlap), _spans(shape[1], size, overlap)

    def __len__(self) -> int:
        return len(self.tiles)

    def __getitem__(self, i: int) -> np.ndarray:
        (y0, y1, x0, x1), (cy0, cy1, cx0, cx1) = self.tiles[i].support, self.tiles[i].crop
        wy = _axis_weights(self.rows, self.rows.index((y0, y1)), self.shape[0])[cy0:cy1]
        wx = _axis_weights(self.cols, self.cols.index((x0, x1)), self.shape[1])[cx0:cx1]
        return np.outer(wy, wx).astype(np.float32)

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def step_mb(pixels: int, precision: str = "float32") -> float:
    """Estimated peak memory, in MiB, of a process running one step on ``pixels`` pixels with
    activations in ``precision`` (nst_core.machine.precision of the convolution path)."""
    return PROCESS_BASE_MB + pixels * STEP_BYTES_PER_PIXEL[precision] / MIB


def tile_mb(pixels: int, precision: str = "float32") -> float:
    """Estimated peak memory, in MiB, of a process running a tile's visit on a crop of ``pixels``."""
    return PROCESS_BASE_MB + pixels * TILE_BYTES_PER_PIXEL[precision] / MIB


def picture_mb(shape: tuple[int, int]) -> float:
    """Estimated memory, in MiB, of a tiled scale's own copies of the whole picture (see
    PICTURE_BYTES_PER_PIXEL)."""
    return shape[0] * shape[1] * PICTURE_BYTES_PER_PIXEL / MIB


def fitted_tile_size(shape: tuple[int, int], tile_size: int, budget_mb: int, overlap: int, context: int,
                     precision: str = "float32") -> int:
    """The tiles' side at a scale of ``shape``: ``tile_size``, or less where a tile's step beside the
    picture's own copies would not fit ``budget_mb`` (0: no budget). Never below MIN_TILE_SIZE."""
    if budget_mb <= 0:
        return tile_size
    for size in range(tile_size, MIN_TILE_SIZE, -16):
        largest = max(t.pixels for t in tile_grid(shape, size, overlap, context))
        if tile_mb(largest, precision) + picture_mb(shape) <= budget_mb:
            return size
    return MIN_TILE_SIZE


def should_tile(shape: tuple[int, int], tile_size: int, budget_mb: int, precision: str = "float32") -> bool:
    """Tile a scale when tiling is on and a whole-picture step would not fit the memory budget."""
    h, w = shape
    return tile_size > 0 and max(h, w) > tile_size and step_mb(h * w, precision) > budget_mb


def joint_fits(shape: tuple[int, int], crop_px: int, budget_mb: int, history: int, precision: str = "float32") -> bool:
    """Whether a tiled scale of ``shape`` can hold one optimiser's state of the whole picture beside a
    tile's step on ``crop_px`` pixels and the picture's own copies (budget 0: no budget)."""
    extra = shape[0] * shape[1] * joint_bytes_per_pixel(history) / MIB
    return budget_mb <= 0 or tile_mb(crop_px, precision) + picture_mb(shape) + extra <= budget_mb
