"""A tiled scale: the tiles visited in sweeps, each visit a short L-BFGS run on the tile's pixels
against the whole picture's loss, its result blended back through the tile's window.

Used where one optimiser over the whole picture (``nst_core.tiles.joint``, the untiled run's path) would
not fit the memory budget: its state is float64 pairs of the whole image (10 pairs of 4096 x 3072 x 3
are 6 GB), which is what tiling exists to avoid; a tile's history is a few hundred MB and starts
afresh at each visit; with ``tile_history`` it waits on disk for the tile's next visit instead
(``nst_core.tiles.kept_lbfgs``: a restart costs about a fifth of the loss's fall, but a print then drifts
from the untiled picture, so it is off by default). Memory then grows with the picture only by the
picture itself (float32 pixels, the photo, the previews); each tile's Gram sums (and kept pairs) wait
on disk.
"""
from __future__ import annotations

import math

import numpy as np

from ..imaging.images import to_uint8
from .kept_lbfgs import kept_maker, pair_store
from ..optim.memory import trim
from .spill import Spill
from ..optim.steps import Steps, diverged
from .tiling import Tile, Windows, fitted_tile_size, tile_grid

TILE_OVERLAP = 64  # px shared by neighbouring tiles, blended across by their windows
TILE_CONTEXT = 32  # px of the neighbours' current pixels around a tile, seen by VGG19 but held fixed
STATS_COST = 0.35  # a visit's content pass (one forward pass), in iterations of the tile


class _Sums:
    """The whole picture's loss, as sums over tiles: each tile's latest share and their totals. The
    tiles' Gram sums (R x L float32 [C, C] each, 2.4 MB) wait in a :class:`Spill`, not in memory."""

    def __init__(self, n: int):
        self.n = n
        self.grams: Spill | None = None
        self.content: list = [None] * n  # per tile: float32 [K]
        self.tv: list = [0.0] * n
        self.total_grams: list = []
        self.total_content, self.total_tv = 0.0, 0.0
        self.denom, self.norm, self.tv_n = 0.0, 0.0, 0.0  # [R x L] windows' sums, [K] content norms: fixed

    def first(self, t: int, grams, content, tv, denom, norm, tv_n) -> None:
        """Tile t's sums from the first pass over the tiles (in order: the totals add up as they did)."""
        if self.grams is None:
            self.grams = Spill(self.n, [g.shape for g in grams])
            self.total_grams = [np.zeros_like(g) for g in grams]
        for total, g in zip(self.total_grams, grams):
            total += g
        self.grams.put(t, grams)
        self.content[t], self.tv[t] = content, tv
        self.total_content, self.total_tv = self.total_content + content, self.total_tv + tv
        self.denom, self.norm, self.tv_n = self.denom + denom, self.norm + norm, self.tv_n + tv_n

    def update(self, t: int, grams, content, tv) -> None:
        self.total_grams = [a + b - c for a, b, c in zip(self.total_grams, grams, self.grams.get(t))]
        self.total_content = self.total_content + content - self.content[t]
        self.total_tv += tv - self.tv[t]
        self.grams.put(t, grams)
        self.content[t], self.tv[t] = content, tv

    def rest(self, t: int):
        """Everything but tile t: the other tiles' Gram sums, content sums and TV sum."""
        return ([a - b for a, b in zip(self.total_grams, self.grams.get(t))],
                self.total_content - self.content[t], self.total_tv - self.tv[t])

    def close(self) -> None:
        if self.grams is not None:
            self.grams.close()


def plan(shape: tuple[int, int], tile_size: int) -> list[Tile]:
    return tile_grid(shape, tile_size, TILE_OVERLAP, TILE_CONTEXT)


def tile_size_at(shape: tuple[int, int], tile_size: int, budget_mb: int) -> int:
    """The tiles' side at a tiled scale of ``shape``: ``tile_size`` where it fits the budget, else less."""
    return fitted_tile_size(shape, tile_size, budget_mb, TILE_OVERLAP, TILE_CONTEXT)


def cost(tiles: list[Tile], iterations: int, sweeps: int) -> tuple[float, int]:
    """(pixels per tile-iteration, tile-iterations) of a scale of these tiles, for the run's ETA."""
    px = sum(t.pixels for t in tiles) / len(tiles)
    per_visit = math.ceil(iterations / sweeps)
    return px * (1 + STATS_COST / per_visit), len(tiles) * iterations


def style_grams(tiled, style: np.ndarray, tile_size: int) -> tuple:
    """A painting as large as a tiled picture: its Grams [C, C] per style layer, summed over tiles
    with the same windows, over the summed weights (one forward pass of it would not fit either)."""
    import tensorflow as tf

    tiles = plan(style.shape[:2], tile_size)
    total, denom = None, None
    for t, w in zip(tiles, Windows(style.shape[:2], tiles, tile_size, TILE_OVERLAP)):
        g, d = tiled.gram_sums(tf.constant(crop(style, t.crop), tf.float32), tf.constant(w))
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
        denom = d if denom is None else denom + d
    return tuple(g / denom[k] for k, g in enumerate(total))


def layout(shape: tuple[int, int], tile_size: int, masks: np.ndarray | None):
    """A tiled scale's tiles, their windows, the mask regions' count R and each region's share of the
    picture (float32 [R]), as sweeps and the joint mode both cut it."""
    tiles = plan(shape, tile_size)
    regions = 1 if masks is None else masks.shape[-1]
    share = np.ones(1, np.float32) if masks is None else masks.mean(axis=(0, 1)).astype(np.float32)
    return tiles, Windows(shape, tiles, tile_size, TILE_OVERLAP), regions, share


def tile_masks(masks: np.ndarray | None, t: Tile) -> np.ndarray:
    """The regions' masks over tile t's crop, float32 [h, w, R] (one of ones without a mask)."""
    y0, y1, x0, x1 = t.crop
    return (np.ones((y1 - y0, x1 - x0, 1), np.float32) if masks is None
            else np.ascontiguousarray(masks[y0:y1, x0:x1]))


def crop(a: np.ndarray, box) -> np.ndarray:
    y0, y1, x0, x1 = box
    return a[y0:y1, x0:x1]


def _np(ts) -> list:
    return [t.numpy() for t in ts]


def optimise_tiled(objective, tiled, targets, x0: np.ndarray, content: np.ndarray, run, n: int, show,
                   tile_size: int, sweeps: int):
    """Optimise ``x0`` (float32 [H, W, 3] in 0..255; written in place, as a copy at 4096 px is 150 MB)
    tile by tile, ``n`` iterations per tile over ``sweeps`` sweeps, numbered on from ``run.done``.
    ``targets``: the style Grams (and masks [H, W, R] or None) as the untiled run has them. Yields
    preview Frames of the whole picture with the tile marked; returns (picture, losses, message) as
    ``optim.steps.optimise_objective`` does."""
    import tensorflow as tf

    s = run.s
    masks = targets.masks
    tiles, wins, regions, share = layout(x0.shape[:2], tile_size, masks)
    stats, step, _ = tiled.fns(regions)
    layer_w = tf.constant(s.normalized_style_layer_weights, tf.float32)
    x = np.asarray(x0, np.float32)

    def visit_stats(t: Tile):
        return stats(tf.constant(crop(x, t.crop)), tf.constant(crop(content, t.crop), tf.float32),
                     tf.constant(wins[t.index]), tf.constant(tile_masks(masks, t)),
                     tf.constant(run.s.tv_power, tf.float32))

    # The whole picture's sums at the start: one stats pass over every tile, each tile's content
    # features dropped at once (kept, they were 10 MB a tile: 650 MB at 4096 px).
    sums = _Sums(len(tiles))
    for t in tiles:
        _, g, d, nm, cs, tn, tv = visit_stats(t)
        sums.first(t.index, _np(g), cs.numpy(), float(tv), d.numpy(), nm.numpy(), float(tn))
    denom, norm = tf.constant(sums.denom), tf.constant(sums.norm)
    style_t = tuple(targets.style)
    best_losses, message = None, ""
    per_visit = [len(r) for r in np.array_split(np.arange(n), sweeps) if len(r)]
    # Each tile's L-BFGS pairs, from one of its visits to the next (see nst_core.tiles.kept_lbfgs)
    pairs = pair_store([3 * t.pixels for t in tiles], len(per_visit), s)
    try:
        for sweep, k in enumerate(per_visit):
            order = tiles if sweep % 2 == 0 else tiles[::-1]  # alternate: no tile always sees stale neighbours
            for t in order:
                if run.stopped or message:
                    break
                # Its content targets again (keeping every tile's would grow with the picture); its sums
                # as its last visit left them (a forward pass less; the neighbours' blending since then
                # moved only its overlaps, where its window is low).
                content_t = tiled.content_targets(tf.constant(crop(content, t.crop), tf.float32))
                rest_g, rest_c, rest_tv = sums.rest(t.index)
                rest_g = tuple(tf.constant(g) for g in rest_g)
                win, m = tf.constant(wins[t.index]), tf.constant(tile_masks(masks, t))
                sy0, sy1, sx0, sx1 = t.support
                cy0, _, cx0, _ = t.crop
                movable = np.zeros((*crop(x, t.crop).shape[:2], 1), np.float32)
                movable[sy0 - cy0:sy1 - cy0, sx0 - cx0:sx1 - cx0] = 1.0  # the context stays as the neighbours left it
                start = crop(x, t.crop).copy()
                shown = None  # the picture as uint8, made at this visit's first preview (x is fixed until its end)
                best, best_g, best_tile = start, None, None
                steps = Steps(run, start, k, None if pairs is None else kept_maker(pairs, t.index, s.lbfgs_history))
                for it, xt in steps:
                    if steps.restarted:  # steered: the best so far and every tile's pairs were of the old weights
                        best_tile = None
                        if pairs is not None:
                            pairs.clear()
                    weights = tf.constant((run.s.content_weight, run.s.style_weight, run.s.tv_weight), tf.float32)
                    total, parts, grad, g, c, tv = step(
                        tf.constant(xt), win, m, content_t, rest_g, denom, style_t, tf.constant(rest_c), norm,
                        tf.constant(rest_tv, tf.float32), tf.constant(sums.tv_n, tf.float32), tf.constant(share),
                        weights, layer_w, tf.constant(run.s.tv_power, tf.float32))
                    total, grad = float(total), grad.numpy() * movable
                    message = diverged(total, grad, it)
                    if message:
                        break
                    p = parts.numpy()
                    losses = {"content": float(p[0]), "style": float(p[1]), "tv": float(p[2]), "total": total}
                    if best_tile is None or total <= best_tile["total"]:
                        best, best_tile, best_g = xt.copy(), losses, (_np(g), c.numpy(), float(tv))
                    steps.tell(total, grad)
                    run.done = it
                    if it % s.preview_every == 0 and it < run.total:
                        shown = to_uint8(x) if shown is None else shown
                        yield run.frame(it, losses, show(_with_tile(shown, x, best, t, wins)),
                                        tile=(t.index + 1, len(tiles), sweep + 1, len(per_visit), *t.support))
                if pairs is not None:
                    pairs.put(t.index, steps.optimizer.pairs)
                if best_tile is not None:
                    _blend_into(x, best, t, wins)
                    sums.update(t.index, *best_g)
                    best_losses = best_tile
                del steps, best, start, shown
                trim()
    finally:  # the tiles' files, now rather than when the generator is collected
        sums.close()
        if pairs is not None:
            pairs.close()
    return x, best_losses, message


def _write_weights(win: np.ndarray) -> np.ndarray:
    """How much of a tile's result replaces the picture: its window doubled and capped at 1, so it
    writes the near half of each overlap whole and fades out across the far half. With the window
    itself, each overlap kept w(1-w) of what was there before both visits (a quarter of the
    unpainted start at the overlap's middle, after one sweep): a band the rest of the picture lacks."""
    return np.minimum(1.0, 2.0 * win)[..., None]


def _blend_into(x: np.ndarray, tile_pixels: np.ndarray, t: Tile, wins) -> None:
    """Write a tile's result into the picture (wholly inside, fading out across its overlaps)."""
    y0, y1, x0, x1 = t.crop
    w = _write_weights(wins[t.index])
    x[y0:y1, x0:x1] = w * tile_pixels + (1 - w) * x[y0:y1, x0:x1]


def _with_tile(shown: np.ndarray, x: np.ndarray, tile_pixels: np.ndarray, t: Tile, wins) -> np.ndarray:
    """A preview: the picture (``shown``, uint8) with the tile's current result blended in. Only the
    crop is computed: at 4096 px a float copy of the whole picture per preview cost 0.2-0.3 s."""
    y0, y1, x0, x1 = t.crop
    w = _write_weights(wins[t.index])
    out = shown.copy()
    out[y0:y1, x0:x1] = to_uint8(w * tile_pixels + (1 - w) * x[y0:y1, x0:x1])
    return out
