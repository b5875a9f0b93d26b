"""A run's schedule: the scales it goes through, their iterations, which are tiled, and how long it takes."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..tiles import joint, sweeps
from ..imaging.images import fit_size
from ..machine import precision
from ..settings import Settings
from ..tiles.tiling import joint_fits, should_tile

MULTISCALE_START = 128  # the coarsest scale's longer side is at least this
# x2, not x1.41: each coarser scale costs iterations, while the final scale needs nearly as many
# from an enlarged result as from the photo (enlarging blurs away the fine patterns that carry the
# Gram loss), so fewer, cheaper coarse scales serve better (benchmarks/multiscale.py).
MULTISCALE_STEP = 2


def scale_sizes(max_size: int, multiscale: bool) -> list[int]:
    """Longer sides to optimise at, coarse to fine, ending at ``max_size``."""
    if not multiscale or max_size < MULTISCALE_START * MULTISCALE_STEP:
        return [max_size]
    n = int(math.log(max_size / MULTISCALE_START, MULTISCALE_STEP) + 1e-9)
    return [round(max_size / MULTISCALE_STEP ** k) for k in range(n, 0, -1)] + [max_size]


def scale_iterations(s: Settings) -> list[int]:
    """Iterations at each of ``scale_sizes``: ``coarse_iterations`` (at most ``iterations``) at the
    coarser ones, ``iterations`` at the final one."""
    n = len(scale_sizes(s.max_size, s.multiscale))
    return [min(s.coarse_iterations, s.iterations)] * (n - 1) + [s.iterations]


@dataclass(frozen=True)
class Scale:
    """One scale of a run's plan: its longer side, shape, iterations, and tiles (0 = whole) of at
    most ``tile_size`` px (``Settings.tile_size``, or less where the memory budget needs)."""

    size: int
    shape: tuple[int, int]
    iterations: int
    tiles: int
    work: tuple[float, int]  # (pixels an iteration works on, iterations; tile-iterations where in sweeps)
    tile_size: int = 0
    joint: bool = False  # tiled with one optimiser over the whole picture (nst_core.tiles.joint), not in sweeps
    faces: bool = False  # the last scale again with only the faces' pixels free (keep_faces)


def plan(content_shape: tuple[int, int], s: Settings, conv: str = "") -> list[Scale]:
    """The scales a run of ``s`` on a photo of ``content_shape`` (h, w) goes through, coarse to fine,
    and which of them are tiled (those whose whole-picture step would not fit ``memory_budget_mb``
    with the convolution path ``conv``; "" if not known: float32's, the larger)."""
    out, bits = [], precision(conv)
    for size, n in zip(scale_sizes(s.max_size, s.multiscale), scale_iterations(s)):
        shape = fit_size(content_shape, size, s.enlarge)
        if s.normalization != "keras-io" and should_tile(shape, s.tile_size, s.memory_budget_mb, bits):
            side = sweeps.tile_size_at(shape, s.tile_size, s.memory_budget_mb, bits)
            tiles = sweeps.tiles_of(shape, side)
            largest = max(t.pixels for t in tiles)
            together = s.tile_mode == "joint" or (
                s.tile_mode == "auto" and joint_fits(shape, largest, s.memory_budget_mb, s.lbfgs_history, bits))
            out.append(Scale(size, shape, n, len(tiles), joint.cost(tiles, n) if together
                             else sweeps.cost(tiles, n, s.tile_sweeps), side, together))
        else:
            out.append(Scale(size, shape, n, 0, (shape[0] * shape[1], n)))
    return out



# A run's seconds per pixel-iteration over the autotuner's seconds per pixel at its 128x96 timing
# shape, by the path's precision: small images pay fixed costs per step, so the timing shape's rate
# overstates a run's; with bf16 the optimiser's own float64 work is a larger share of a faster step
# (docs/how-it-works.md, The estimates' constants).
SMALL_TO_LARGE = {"float32": 0.64, "bfloat16": 0.80}
DEFAULT_US_PER_PIXEL = 7.0  # when nothing was timed (an explicit conv): a typical Winograd rate


# Tiled scales take about their pixel-iterations' time at that rate, and a little more: the visits'
# content passes, the painting's Grams by tiles, the first pass over all tiles (docs/how-it-works.md,
# The estimates' constants).
TILED_SLOWDOWN = 1.05
STARTUP_S = 30.0  # a fresh process: TensorFlow, the weights, tracing


def estimate_seconds(scales: list[Scale], us_per_pixel: float | None = None, warm: bool = False) -> float:
    """About how long a run of these scales takes: their pixel-iterations at ``us_per_pixel``
    microseconds per pixel-iteration (the conv autotuner's figure, else a typical one), plus a fresh
    process's start unless it is ``warm`` (the models loaded and the step traced, as in the app)."""
    rate = (us_per_pixel or DEFAULT_US_PER_PIXEL) * 1e-6
    return (0.0 if warm else STARTUP_S) + sum(sc.work[0] * sc.work[1] * rate * (TILED_SLOWDOWN if sc.tiles else 1.0) for sc in scales)
