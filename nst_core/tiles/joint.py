"""A tiled scale with one optimiser over the whole picture: every evaluation's loss and gradient are the
untiled objective's, summed tile by tile, so the picture takes the untiled run's path in a tile's memory.

Why not only sweeps (``nst_core.tiles.sweeps``): they move one tile at a time and start L-BFGS afresh at each
visit, so their pictures drift from the untiled run's (docs/print-sizes.md, Figures). Here an evaluation at the pixels x makes two passes over the tiles:

1. a forward pass of each tile for its Gram sums; their total is the whole picture's Gram G(x);
2. each tile's forward and backward pass with the others' sums (G(x) minus its own) held fixed: its
   gradient is its share of the whole loss's, context pixels included (the gradient reaches them
   through the convolutions); the shares, added where the crops fall, are the whole gradient.

Content and total variation are sums over the tiles, so their totals add up from pass 2. The picture
stays close to the untiled one, at more than a sweep's time (pass 1 is a forward pass of every tile)
and less than the untiled run's memory (docs/print-sizes.md, Figures); the optimiser holds the state of the whole picture (scipy's L-BFGS-B: ~700 bytes a pixel), so ``tile_mode="auto"``
takes this where that fits the memory budget (``schedule.plan``) and sweeps elsewhere.
"""
from __future__ import annotations

import numpy as np

from typing import TYPE_CHECKING, Generator

from ..optim.memory import trim
from ..optim.steps import Evaluation, Outcome, optimise
from ..vgg.objective import named_terms
from .sweeps import crop, layout, tile_content_weights, tile_masks
from .tiled import TileInputs

if TYPE_CHECKING:
    from ..frame import Frame

SUMS_COST = 0.35  # pass 1's forward pass, in tile-iterations (as sweeps' STATS_COST)


def cost(tiles: list, iterations: int) -> tuple[float, int]:
    """(pixels an iteration works on, iterations) of a joint scale of these tiles, for the run's ETA."""
    return sum(t.pixels for t in tiles) * (1 + SUMS_COST), iterations


def optimise_joint(tiled, targets, x0: np.ndarray, content: np.ndarray, run, n: int, show,
                   tile_size: int) -> Generator[Frame, None, Outcome]:
    """Optimise ``x0`` (float32 [H, W, 3] in 0..255) with the run's own optimiser for ``n`` iterations
    numbered on from ``run.done``, each loss and gradient summed over tiles. ``targets``: the style
    Grams (and masks [H, W, R] or None) as the untiled run has them. Yields preview Frames of the whole
    picture; returns the Outcome as ``optim.steps.optimise_objective`` does."""
    import tensorflow as tf

    tiles, fns, fixed, content_t, scale_inputs = _scale_fixed(tiled, targets, x0, content, run.s, tile_size)

    def evaluate(x: np.ndarray, weights):
        """The loss and its gradient (float32 [H, W, 3]) at x, or None if Stop came first."""
        weights = tf.constant(weights, tf.float32)
        own = []
        for t in tiles:  # pass 1: every tile's Gram sums at x
            if run.stopped:
                return None
            own.append([g.numpy() for g in fns.gram_sums(tf.constant(crop(x, t.crop)), *fixed[t.index][:2])])
        whole = [sum(g[k] for g in own) for k in range(len(own[0]))]
        grad = np.zeros_like(x)
        content = tv = style = 0.0
        for t in tiles:  # pass 2: each tile's share of the gradient, the others' sums fixed at x
            if run.stopped:
                return None
            rest = tuple(tf.constant(w - g) for w, g in zip(whole, own[t.index]))
            win, m, cw = fixed[t.index]
            r = fns.step(scale_inputs._replace(pixels=tf.constant(crop(x, t.crop)), window=win, masks=m,
                                               content_weights=cw, content=content_t[t.index], rest_grams=rest,
                                               weights=weights))
            p = r.parts.numpy()
            # content and TV: this tile's shares; style: the whole picture's, the same from every tile
            content, style, tv = content + float(p[0]), float(p[1]), tv + float(p[2])
            crop(grad, t.crop)[...] += r.grad.numpy()
        del own, whole
        trim()
        return Evaluation(content + style + tv, named_terms((content, style, tv)), grad)

    return (yield from optimise(evaluate, x0, run, n, show))


def _scale_fixed(tiled, targets, x0: np.ndarray, content: np.ndarray, s, tile_size: int):
    """What every evaluation of a joint scale takes alike: (tiles, their compiled functions, each
    tile's window and masks as tensors, each tile's content targets, the steps' inputs common to
    every tile)."""
    import tensorflow as tf

    tiles, wins, regions, share = layout(x0.shape[:2], tile_size, targets.masks)
    fns = tiled.fns(regions)
    share, layer_w = tf.constant(share), tf.constant(s.normalized_style_layer_weights, tf.float32)
    tv_power = tf.constant(s.tv_power, tf.float32)

    # each tile's window and masks, as tensors: made once, as both passes of every evaluation take them
    # (small where joint runs: 8 bytes a crop pixel)
    fixed = [(tf.constant(wins[t.index]), tf.constant(tile_masks(targets.masks, t)),
              tf.constant(tile_content_weights(targets.content_map, t))) for t in tiles]

    # Fixed for the scale: each tile's content targets (VGG19's content layer of the photo's crop:
    # ~32 bytes a crop pixel) and the whole picture's norms (the windows' and targets' sums).
    content_t, denom, norm, tv_n = [], 0.0, 0.0, 0.0
    for t in tiles:
        ct, _, d, nm, _, tn, _ = fns.stats(tf.constant(crop(x0, t.crop)),
                                           tf.constant(crop(content, t.crop), tf.float32), *fixed[t.index], tv_power)
        content_t.append(ct)
        denom, norm, tv_n = denom + d.numpy(), norm + nm.numpy(), tv_n + float(tn)
    norm = tf.constant(norm)
    # every tile's step sees the whole picture through ``rest_grams``: no other sums to add
    scale_inputs = TileInputs(
        pixels=None, window=None, masks=None, content_weights=None, content=None, rest_grams=None, denom=tf.constant(denom),
        style=tuple(targets.style), rest_content=tf.zeros_like(norm), norm=norm, rest_tv=tf.constant(0.0),
        tv_norm=tf.constant(tv_n, tf.float32), share=share, weights=None, layer_weights=layer_w, tv_power=tv_power)
    return tiles, fns, fixed, content_t, scale_inputs
