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
from typing import TYPE_CHECKING, Generator

import numpy as np

from ..imaging.images import to_uint8
from ..optim.memory import trim
from ..optim.steps import Evaluation, Outcome, optimise
from ..vgg.objective import named_terms
from .kept_lbfgs import TileHistory, pair_store
from .spill import Spill
from .tiled import TileInputs
from .tiling import Tile, Windows, fitted_tile_size, tile_grid

if TYPE_CHECKING:
    from ..frame import Frame

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


def tiles_of(shape: tuple[int, int], tile_size: int) -> list[Tile]:
    """The tiles a swept or joint scale of ``shape`` is cut into (overlap and context as the sweeps use)."""
    return tile_grid(shape, tile_size, TILE_OVERLAP, TILE_CONTEXT)


def tile_size_at(shape: tuple[int, int], tile_size: int, budget_mb: int, precision: str = "float32") -> int:
    """The tiles' side at a tiled scale of ``shape``: ``tile_size`` where it fits the budget, else less."""
    return fitted_tile_size(shape, tile_size, budget_mb, TILE_OVERLAP, TILE_CONTEXT, precision)


def cost(tiles: list[Tile], iterations: int, sweeps: int) -> tuple[float, int]:
    """(pixels per tile-iteration, tile-iterations) of a scale of these tiles, for the run's ETA."""
    px = sum(t.pixels for t in tiles) / len(tiles)
    per_visit = math.ceil(iterations / sweeps)
    return px * (1 + STATS_COST / per_visit), len(tiles) * iterations


def style_grams(tiled, style: np.ndarray, tile_size: int) -> tuple:
    """A painting as large as a tiled picture: its Grams [C, C] per style layer, summed over tiles
    with the same windows, over the summed weights (one forward pass of it would not fit either)."""
    import tensorflow as tf

    tiles = tiles_of(style.shape[:2], tile_size)
    total, denom = None, None
    for t, w in zip(tiles, Windows(style.shape[:2], tiles, tile_size, TILE_OVERLAP)):
        g, d = tiled.gram_sums(tf.constant(crop(style, t.crop), tf.float32), tf.constant(w))
        total = list(g) if total is None else [a + b for a, b in zip(total, g)]
        denom = d if denom is None else denom + d
    return tuple(g / denom[k] for k, g in enumerate(total))


def layout(shape: tuple[int, int], tile_size: int, masks: np.ndarray | None):
    """A tiled scale's tiles, their windows, the mask regions' count R and each region's share of the
    picture (float32 [R]), as sweeps and the joint mode both cut it."""
    tiles = tiles_of(shape, tile_size)
    regions = 1 if masks is None else masks.shape[-1]
    share = np.ones(1, np.float32) if masks is None else masks.mean(axis=(0, 1)).astype(np.float32)
    return tiles, Windows(shape, tiles, tile_size, TILE_OVERLAP), regions, share


def tile_content_weights(content_map: np.ndarray | None, t: Tile) -> np.ndarray:
    """Each pixel's content weight over tile t's crop, float32 [h, w] (ones without a content map)."""
    y0, y1, x0, x1 = t.crop
    return (np.ones((y1 - y0, x1 - x0), np.float32) if content_map is None
            else np.ascontiguousarray(content_map[y0:y1, x0:x1, 0]))


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


def optimise_tiled(tiled, targets, x0: np.ndarray, content: np.ndarray, run, n: int, show,
                   tile_size: int, sweeps: int) -> Generator[Frame, None, Outcome]:
    """Optimise ``x0`` (float32 [H, W, 3] in 0..255; written in place, as a copy of a print is
    large) tile by tile, ``n`` iterations per tile over ``sweeps`` sweeps, numbered on from
    ``run.done``. ``targets``: the style Grams (and masks [H, W, R] or None) as the untiled run has
    them. Yields preview Frames of the whole picture with the tile marked; returns the Outcome (the
    picture, the last visit's best losses, the message) as ``optim.steps.optimise_objective`` does."""
    scale = _SweptScale(tiled, targets, np.asarray(x0, np.float32), content, run, show, tile_size)
    per_visit = [len(r) for r in np.array_split(np.arange(n), sweeps) if len(r)]
    # Each tile's L-BFGS pairs, from one of its visits to the next (see nst_core.tiles.kept_lbfgs)
    pairs = pair_store([3 * t.pixels for t in scale.tiles], len(per_visit), run.s)
    best_losses, message = None, ""
    try:
        for sweep, k in enumerate(per_visit):
            order = scale.tiles if sweep % 2 == 0 else scale.tiles[::-1]  # alternate: no tile always sees stale neighbours
            for t in order:
                if run.stopped or message:
                    break
                history = None if pairs is None else TileHistory(pairs, t.index, run.s.lbfgs_history)
                out = yield from scale.visit(t, k, history, (sweep + 1, len(per_visit)))
                if history is not None:
                    history.keep()
                if out.losses is not None:
                    scale.keep(t, out)
                    best_losses = out.losses
                message = out.message
                del out, history
                trim()
    finally:  # the tiles' files, now rather than when the generator is collected
        scale.sums.close()
        if pairs is not None:
            pairs.close()
    return Outcome(scale.x, best_losses, message)


class _SweptScale:
    """A swept scale's picture (``x``, changed in place) and what stays fixed while its tiles are
    visited: the tiles, their windows and masks, the whole picture's sums and norms."""

    def __init__(self, tiled, targets, x: np.ndarray, content: np.ndarray, run, show, tile_size: int):
        import tensorflow as tf

        self.tiled, self.x, self.content, self.run, self.show = tiled, x, content, run, show
        self.masks, self.content_map = targets.masks, targets.content_map
        self.tiles, self.wins, regions, share = layout(x.shape[:2], tile_size, self.masks)
        self.fns = tiled.fns(regions)
        self.sums = self._first_sums()
        # the same for every step of every tile
        self.denom, self.norm = tf.constant(self.sums.denom), tf.constant(self.sums.norm)
        self.tv_norm, self.share = tf.constant(self.sums.tv_n, tf.float32), tf.constant(share)
        self.style = tuple(targets.style)
        self.layer_w = tf.constant(run.s.normalized_style_layer_weights, tf.float32)
        self.tv_power = tf.constant(run.s.tv_power, tf.float32)

    def _first_sums(self) -> _Sums:
        """The whole picture's sums at the start: one stats pass over every tile, each tile's content
        features dropped at once (kept, they would grow with the picture)."""
        import tensorflow as tf

        sums = _Sums(len(self.tiles))
        for t in self.tiles:
            _, g, d, nm, cs, tn, tv = self.fns.stats(
                tf.constant(crop(self.x, t.crop)), tf.constant(crop(self.content, t.crop), tf.float32),
                tf.constant(self.wins[t.index]), tf.constant(tile_masks(self.masks, t)),
                tf.constant(tile_content_weights(self.content_map, t)), tf.constant(self.run.s.tv_power, tf.float32))
            sums.first(t.index, _np(g), cs.numpy(), float(tv), d.numpy(), nm.numpy(), float(tn))
        return sums

    def _inputs(self, t: Tile) -> TileInputs:
        """Tile t's step inputs but the pixels and the weights, which each step sets. Its content
        targets again (keeping every tile's would grow with the picture); its sums as its last visit
        left them (a forward pass less; the neighbours' blending since then moved only its
        overlaps, where its window is low)."""
        import tensorflow as tf

        content_t = self.tiled.content_targets(tf.constant(crop(self.content, t.crop), tf.float32))
        rest_g, rest_c, rest_tv = self.sums.rest(t.index)
        return TileInputs(
            pixels=None, window=tf.constant(self.wins[t.index]), masks=tf.constant(tile_masks(self.masks, t)),
            content_weights=tf.constant(tile_content_weights(self.content_map, t)), content=content_t, rest_grams=tuple(tf.constant(g) for g in rest_g), denom=self.denom,
            style=self.style, rest_content=tf.constant(rest_c), norm=self.norm,
            rest_tv=tf.constant(rest_tv, tf.float32), tv_norm=self.tv_norm, share=self.share, weights=None,
            layer_weights=self.layer_w, tv_power=self.tv_power)

    def _movable(self, t: Tile) -> np.ndarray:
        """1 over the tile's support, 0 over its context, which stays as the neighbours left it."""
        sy0, sy1, sx0, sx1 = t.support
        cy0, _, cx0, _ = t.crop
        movable = np.zeros((*crop(self.x, t.crop).shape[:2], 1), np.float32)
        movable[sy0 - cy0:sy1 - cy0, sx0 - cx0:sx1 - cx0] = 1.0
        return movable

    def visit(self, t: Tile, k: int, history: TileHistory | None, sweep: tuple[int, int]):
        """k iterations of the loop on tile t's crop, the rest of the picture held fixed. Yields
        previews of the picture with the tile's best so far; returns the loop's Outcome, whose
        ``kept`` is the best point's sums (grams, content, TV)."""
        import tensorflow as tf

        inputs, movable, shown = self._inputs(t), self._movable(t), None

        def evaluate(xt: np.ndarray, weights) -> Evaluation:
            r = self.fns.step(inputs._replace(pixels=tf.constant(xt), weights=tf.constant(weights, tf.float32)))
            return Evaluation(float(r.total), named_terms(r.parts.numpy()), r.grad.numpy() * movable,
                              (r.grams, r.content, r.tv))

        def picture(xt: np.ndarray, best: np.ndarray) -> np.ndarray:
            nonlocal shown  # the picture as uint8, made at the visit's first preview (x is fixed until its end)
            shown = to_uint8(self.x) if shown is None else shown
            return _with_tile(shown, self.x, best, t, self.wins)

        def restarted() -> None:  # steered: every tile's pairs were of the old weights
            if history is not None:
                history.store.clear()

        return (yield from optimise(evaluate, crop(self.x, t.crop).copy(), self.run, k, self.show, make=history,
                                    restarted=restarted, picture=picture,
                                    tile=(t.index + 1, len(self.tiles), *sweep, *t.support)))

    def keep(self, t: Tile, out: Outcome) -> None:
        """A visit's best into the picture, and its sums into the whole picture's."""
        _blend_into(self.x, out.best, t, self.wins)
        g, c, tv = out.kept
        self.sums.update(t.index, _np(g), c.numpy(), float(tv))


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
