"""The compiled objective of one tile: its share of the whole picture's loss, the other tiles held fixed.

Why not optimise each tile against its own Gram: a tile of sky would then be pulled to the whole
painting's texture and a tile of detail would get no more than its share, so the tiles' textures
would differ. Here every loss term is the *whole picture's*, split into per-tile sums weighted by
the tiles' windows (``nst_core.tiles.tiling``; they sum to 1 at every pixel):

    G_l = (sum over the other tiles of their weighted Gram sums + this tile's) / (sum of all weights)

so a tile's step follows the gradient of the untiled loss with respect to its own pixels (block
coordinate descent). The other tiles' sums come from their latest visit. Content and total variation
are split the same way (each a weighted sum over the tile, divided by the whole picture's norm).
Each function is traced once per region count; a tile of any size reuses the graph.
"""
from __future__ import annotations

import threading
from typing import Callable, NamedTuple

from ..vgg import losses
from ..vgg.features import preprocess, tf

_IMAGE = tf.TensorSpec([None, None, 3], tf.float32)
_PLANE = tf.TensorSpec([None, None], tf.float32)
_SCALAR = tf.TensorSpec([], tf.float32)


def _vec(n=None):
    return tf.TensorSpec([n], tf.float32)


class TileInputs(NamedTuple):
    """One evaluation of a tile's step, by name: float32 tensors, R regions, L style layers, K content layers."""

    pixels: tf.Tensor  # [h, w, 3] in 0..255: the tile's crop, context included
    window: tf.Tensor  # [h, w]: the tile's blending window
    masks: tf.Tensor  # [h, w, R]: the regions over the crop (one of ones without a mask)
    content_weights: tf.Tensor  # [h, w]: each pixel's content weight over the crop (ones without keep_faces)
    content: tuple  # the crop's content targets, one [h_l, w_l, C] per content layer
    rest_grams: tuple  # R x L [C, C]: the other tiles' weighted Gram sums
    denom: tf.Tensor  # [R * L]: the whole picture's window sums
    style: tuple  # R x L [C, C]: the style targets
    rest_content: tf.Tensor  # [K]: the other tiles' content sums
    norm: tf.Tensor  # [K]: the whole picture's content norms
    rest_tv: tf.Tensor  # []: the other tiles' TV sum
    tv_norm: tf.Tensor  # []: the whole picture's TV norm
    share: tf.Tensor  # [R]: each region's share of the picture
    weights: tf.Tensor  # [3]: content, style and TV weights
    layer_weights: tf.Tensor  # [L]: the style layers' weights
    tv_power: tf.Tensor  # []


class TileResult(NamedTuple):
    """A tile's step: the whole picture's loss with this tile's current sums, and the sums themselves."""

    total: tf.Tensor  # []
    parts: tf.Tensor  # [3]: content, style and TV, weighted
    grad: tf.Tensor  # [h, w, 3]: of the total, with respect to the crop's pixels
    grams: tuple  # R x L [C, C]: this tile's weighted Gram sums
    content: tf.Tensor  # [K]: this tile's content sums
    tv: tf.Tensor  # []: this tile's TV sum


class TileFns(NamedTuple):
    """A region count's compiled functions (see :meth:`TiledObjective.fns`)."""

    stats: Callable  # (pixels, content, window, masks, content weights, tv_power) -> a tile's targets, sums, norms
    compiled_step: Callable  # the step over TileInputs' fields, in their order
    gram_sums: Callable  # (pixels, window, masks) -> a tile's Gram sums alone

    def step(self, inputs: TileInputs) -> TileResult:
        return TileResult(*self.compiled_step(*inputs))


class TiledObjective:
    """Tile-wise loss over an :class:`~nst_core.vgg.objective.Objective`'s extractor and layers (balanced or
    mean normalisation). Regions: R masks per tile ([h, w, R]); an unmasked run passes one of ones."""

    def __init__(self, objective):
        if objective.kio:
            raise ValueError("tiling needs the balanced or mean normalisation")
        self.o = objective
        self.style_fn = (losses.balanced_style_loss if objective.normalization == "balanced"
                         else losses.style_loss)
        self._fns: dict = {}
        self._lock = threading.Lock()
        self.gram_sums = tf.function(self._gram_sums, input_signature=[_IMAGE, _PLANE])
        self.content_targets = tf.function(self._content_targets, input_signature=[_IMAGE])

    # ---- the pieces -------------------------------------------------------------------------------
    def _weights_at(self, plane, f):
        """[h, w] or [h, w, R] pixel weights -> the [h_l, w_l(, R)] layer's (area average x stride^2,
        so a layer's weights sum to the pixels' sum over its stride^2: every layer counts a tile by area)."""
        squeeze = plane.shape.rank == 2
        m = losses.layer_mask(plane[..., None] if squeeze else plane, f)
        return m[..., 0] if squeeze else m

    def _sums(self, feats, win, masks):
        """This tile's weighted Gram sums (R x L, region-major) and their weights' sums [R * L]."""
        sums, denom = [], []
        w = win[..., None] * masks
        for name in self.o.style_layers:
            f = feats[name][0]
            m = self._weights_at(w, f)
            for r in range(masks.shape[-1]):
                sums.append(losses.weighted_gram_sum(f, m[..., r]))
                denom.append(tf.reduce_sum(m[..., r]))
        n_layers = len(self.o.style_layers)
        order = [k * masks.shape[-1] + r for r in range(masks.shape[-1]) for k in range(n_layers)]
        return [sums[i] for i in order], tf.stack([denom[i] for i in order])

    def _gram_sums(self, pixels, win):
        feats = self.o.extractor(preprocess(pixels))
        sums, denom = self._sums(feats, win, tf.ones_like(win)[..., None])
        return tuple(sums), denom

    def _content_targets(self, content):
        p = self.o.extractor(preprocess(content))
        return tuple(tf.cast(p[n][0], tf.float32) for n in self.o.content_layers)

    def _tv_weights(self, win, masks):
        return win * tf.minimum(tf.reduce_sum(masks, axis=-1), 1.0)

    def _content_sums(self, feats, content_t, win):
        return tf.stack([losses.weighted_square_error(feats[n][0], t, self._weights_at(win, feats[n][0]))
                         for n, t in zip(self.o.content_layers, content_t)])

    # ---- compiled functions -----------------------------------------------------------------------
    def _build(self, regions: int):
        n_c, n_s = len(self.o.content_layers), regions * len(self.o.style_layers)
        content_spec = tuple(tf.TensorSpec([None, None, None], tf.float32) for _ in range(n_c))
        grams = tuple(tf.TensorSpec([None, None], tf.float32) for _ in range(n_s))
        masks = tf.TensorSpec([None, None, regions], tf.float32)

        def stats(pixels, content, win, m, cw, tv_power):
            """A tile's content targets and its current sums (and its share of the norms)."""
            content_t = self._content_targets(content)
            feats = self.o.extractor(preprocess(pixels))
            sums, denom = self._sums(feats, win, m)
            norm = []
            for n, t in zip(self.o.content_layers, content_t):
                w = self._weights_at(win, t)
                norm.append(tf.reduce_sum(tf.reduce_sum(tf.square(t), -1) * w) if self.o.normalization == "balanced"
                            else tf.reduce_sum(w) * tf.cast(tf.shape(t)[-1], tf.float32))
            tw = self._tv_weights(win, m)
            tvs = losses.tv_sum(pixels / 255.0, tv_power, tw)
            return (content_t, tuple(sums), denom, tf.stack(norm), self._content_sums(feats, content_t, win * cw),
                    3.0 * tf.reduce_sum(win[:-1, :-1]), tvs)  # tv_loss is a mean over RGB too

        def step(pixels, win, m, cw, content_t, rest, denom, targets, rest_c, norm, rest_tv, tv_n, share,
                 weights, layer_w, tv_power):
            with tf.GradientTape() as tape:
                tape.watch(pixels)
                feats = self.o.extractor(preprocess(pixels))
                sums, _ = self._sums(feats, win, m)
                n_layers = len(self.o.style_layers)
                each = []
                for k in range(n_layers):
                    each.append(tf.add_n([share[r] * self.style_fn((rest[r * n_layers + k] + sums[r * n_layers + k])
                                                                   / (denom[r * n_layers + k] + 1e-8),
                                                                   targets[r * n_layers + k])
                                          for r in range(regions)]))
                style = tf.reduce_sum(tf.stack(each) * layer_w)
                cs = self._content_sums(feats, content_t, win * cw)  # the norms stay the photo's own
                content = tf.reduce_mean((rest_c + cs) / (norm + 1e-8))
                tvs = losses.tv_sum(pixels / 255.0, tv_power, self._tv_weights(win, m))
                tv = (rest_tv + tvs) / tv_n
                parts = tf.stack([content, style, tv]) * weights
                total = tf.reduce_sum(parts)
            return total, parts, tape.gradient(total, pixels), tuple(sums), cs, tvs

        def sums(pixels, win, m):
            """A tile's Gram sums alone (one forward pass): the joint mode's first pass at each point."""
            return tuple(self._sums(self.o.extractor(preprocess(pixels)), win, m)[0])

        knobs = [_vec(3), _vec(len(self.o.style_layers)), _SCALAR]
        return TileFns(tf.function(stats, input_signature=[_IMAGE, _IMAGE, _PLANE, masks, _PLANE, _SCALAR]),
                tf.function(step, input_signature=[_IMAGE, _PLANE, masks, _PLANE, content_spec, grams, _vec(n_s), grams,
                                                   _vec(n_c), _vec(n_c), _SCALAR, _SCALAR, _vec(regions), *knobs]),
                tf.function(sums, input_signature=[_IMAGE, _PLANE, masks]))

    def fns(self, regions: int) -> TileFns:
        """The compiled functions for ``regions`` masks, traced once."""
        with self._lock:
            if regions not in self._fns:
                self._fns[regions] = self._build(regions)
            return self._fns[regions]


_cache: dict = {}
_cache_lock = threading.Lock()


def tiled_objective(objective) -> TiledObjective:
    """One TiledObjective per Objective, so its functions are traced once per process."""
    with _cache_lock:
        if objective not in _cache:
            _cache[objective] = TiledObjective(objective)
        return _cache[objective]
