"""The compiled objective: style/content targets once per run, then loss and gradient per iteration.

Each function is traced once per process for a given (extractor, layer set, normalisation): images
of any size, targets and weights all enter as tensors, so a new run, a new size or new weights
reuse the same graph.
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import losses
from .features import preprocess, tf

_lock = threading.Lock()
_cache: dict = {}

_IMAGE = tf.TensorSpec([None, None, 3], tf.float32)  # RGB pixels in 0..255
_SCALAR = tf.TensorSpec([], tf.float32)
STYLE_CACHE_SIZE = 8  # style images whose Grams are kept per objective (a few MB each at most)
TERMS = ("content", "style", "tv")  # the loss's weighted terms, in the compiled steps' ``parts`` order


def _compiled(fn, **kw):
    """``tf.function`` without autograph: the objective's Python control flow (layers, masks, the
    normalisation) is decided while tracing, never by a tensor, so converting its source to graph
    control flow only costs time; without it a step traces 30-50 % sooner (each path ``conv="auto"``
    times is traced once, as is the chosen one at every start)."""
    return tf.function(fn, autograph=False, **kw)


def named_terms(parts) -> dict[str, float]:
    """The weighted terms [content, style, tv] (a step's ``parts``) by name, as Frames report them."""
    return {name: float(v) for name, v in zip(TERMS, parts)}


@dataclass(frozen=True)
class Targets:
    """What the result is pulled towards: content features [h, w, C] and style Grams [C, C]."""

    content: tuple | None  # None until the first step at the content image supplies them
    style: tuple  # one Gram per style layer; with masks, R x L of them: region r's layer l at r * L + l
    masks: np.ndarray | None = None  # float32 [H, W, R] in 0..1 at the image's size: where each style goes
    # float32 [H, W, 1] >= 0 at the image's size: how much each pixel's content error counts (1 = as
    # anywhere; keep_faces raises it over the faces)
    content_map: np.ndarray | None = None

    def extras(self) -> tuple:
        """The optional maps a compiled step takes after the targets, in order: masks, content map."""
        return tuple(tf.constant(m) for m in (self.masks, self.content_map) if m is not None)


class Objective:
    """Total loss = cw * mean(content terms) + sw * sum_l w_l style_l + tvw * tv."""

    def __init__(self, extractor, content_layers: tuple[str, ...], style_layers: tuple[str, ...],
                 normalization: str = "balanced", xla: bool = False):
        self.extractor, self.normalization = extractor, normalization
        self.content_layers, self.style_layers = tuple(content_layers), tuple(style_layers)
        self.kio = normalization == "keras-io"
        self._gram = losses.kio_gram if self.kio else losses.gram
        content_spec, style_spec, knobs = self._specs(1)
        self.content_fn = _compiled(self._content_targets, input_signature=[_IMAGE])
        self.style_fn = _compiled(self._style_targets, input_signature=[_IMAGE])
        # XLA fuses the step (faster per iteration on CPU) but compiles again for each new image shape.
        self.step = _compiled(self._step, jit_compile=xla, input_signature=[_IMAGE, content_spec, style_spec, *knobs])
        self.first_step = _compiled(self._first_step, jit_compile=xla, input_signature=[_IMAGE, style_spec, *knobs])
        self._xla, self._variants = xla, {}
        self._style_cache: OrderedDict = OrderedDict()
        self._cache_lock = threading.Lock()

    def _specs(self, regions: int) -> tuple:
        """Input specs of the compiled steps: (content features, style Grams for ``regions`` styles,
        the knobs: weights [3], style layer weights [L], TV power)."""
        content_spec = tuple(tf.TensorSpec([None, None, None], tf.float32) for _ in self.content_layers)
        style_spec = tuple(tf.TensorSpec([None, None], tf.float32) for _ in range(regions * len(self.style_layers)))
        knobs = [tf.TensorSpec([3], tf.float32), tf.TensorSpec([len(self.style_layers)], tf.float32), _SCALAR]
        return content_spec, style_spec, knobs

    def _fns(self, regions: int, mapped: bool):
        """(step, first_step) for ``regions`` masked styles (0: no mask) with or without a content map,
        each variant traced once. Their inputs: the picture, [content targets,] style targets, the maps
        (:meth:`Targets.extras`), the knobs."""
        if not regions and not mapped:
            return self.step, self.first_step
        with self._cache_lock:
            if (regions, mapped) not in self._variants:
                self._variants[regions, mapped] = self._build(regions, mapped)
            return self._variants[regions, mapped]

    def _build(self, regions: int, mapped: bool):
        content_spec, style_spec, knobs = self._specs(max(regions, 1))
        maps = ([tf.TensorSpec([None, None, regions], tf.float32)] if regions else []) + \
            ([tf.TensorSpec([None, None, 1], tf.float32)] if mapped else [])

        def split(rest):
            extras, knob_values = rest[:len(maps)], rest[len(maps):]
            return (extras[0] if regions else None), (extras[-1] if mapped else None), knob_values

        def step(pixels, content_t, style_t, *rest):
            m, cmap, knob_values = split(rest)
            return self._loss_and_grad(pixels, content_t, style_t, *knob_values, masks=m, content_map=cmap)[:3]

        def first(pixels, style_t, *rest):
            m, cmap, knob_values = split(rest)
            return self._loss_and_grad(pixels, None, style_t, *knob_values, content_from_pixels=True, masks=m,
                                       content_map=cmap)

        return (_compiled(step, jit_compile=self._xla, input_signature=[_IMAGE, content_spec, style_spec, *maps, *knobs]),
                _compiled(first, jit_compile=self._xla, input_signature=[_IMAGE, style_spec, *maps, *knobs]))

    def _features(self, pixels):
        feats = self.extractor(preprocess(pixels))
        return feats

    def _content_targets(self, content):
        return self._content_of(self._features(content))

    def _style_targets(self, style):
        return self._grams_of(self._features(style))

    def _content_of(self, feats) -> tuple:
        return tuple(tf.cast(feats[n][0], tf.float32) for n in self.content_layers)

    def _grams_of(self, feats) -> tuple:
        return tuple(self._gram(feats[n][0]) for n in self.style_layers)

    def _style_each(self, pixels, feats, style_t, masks=None) -> list:
        """One unweighted style term per style layer. With ``masks`` [H, W, R], each layer's term sums
        the regions' masked-Gram terms, each weighed by its region's share of the picture, so a style
        pulls each pixel of its region as hard as it would pull the whole picture unmasked."""
        fn = losses.balanced_style_loss if self.normalization == "balanced" else losses.style_loss
        if masks is not None:
            n_layers, regions = len(self.style_layers), masks.shape[-1]
            share = tf.reduce_mean(masks, axis=(0, 1))  # [R]
            out = []
            for k, name in enumerate(self.style_layers):
                f = feats[name][0]
                m = losses.layer_mask(masks, f)
                out.append(tf.add_n([share[r] * fn(losses.masked_gram(f, m[..., r]), style_t[r * n_layers + k])
                                     for r in range(regions)]))
            return out
        if self.kio:
            npix = tf.cast(tf.shape(pixels)[0] * tf.shape(pixels)[1], tf.float32)
            return [losses.kio_style_loss(losses.kio_gram(feats[n][0]), t, npix)
                    for n, t in zip(self.style_layers, style_t)]
        return [fn(losses.gram(feats[n][0]), t) for n, t in zip(self.style_layers, style_t)]

    def _terms(self, pixels, feats, content_t, style_t, layer_w, tv_power, masks=None, content_map=None):
        pairs = [(feats[n][0], t) for n, t in zip(self.content_layers, content_t)]
        if self.kio:
            content = tf.add_n([losses.kio_content_loss(f, t) for f, t in pairs])
            tv = losses.kio_tv_loss(preprocess(pixels)[0], tv_power)
        else:
            fn = losses.balanced_content_loss if self.normalization == "balanced" else losses.content_loss
            if content_map is not None:
                content = tf.add_n([fn(f, t, losses.layer_mask(content_map, f)[..., 0]) for f, t in pairs]) / len(pairs)
            else:
                content = tf.add_n([fn(f, t) for f, t in pairs]) / len(pairs)
            # TV only smooths where a style paints: with one masked style the photo's half keeps its edges
            where = None if masks is None else tf.minimum(tf.reduce_sum(masks, axis=-1), 1.0)
            tv = losses.tv_loss(pixels / 255.0, tv_power, where)
        style = tf.reduce_sum(tf.stack(self._style_each(pixels, feats, style_t, masks)) * layer_w)
        return content, style, tv

    def style_layer_terms(self, pixels: np.ndarray, targets: Targets) -> dict[str, float]:
        """float32 [H, W, 3] in 0..255 -> {style layer: its unweighted term}: how the style loss splits
        over the layers (a diagnostic; eager, not the compiled step)."""
        x = tf.constant(pixels, tf.float32)
        each = self._style_each(x, self._features(x), targets.style)
        return {n: float(v) for n, v in zip(self.style_layers, each)}

    def _loss_and_grad(self, pixels, content_t, style_t, weights, layer_w, tv_power, content_from_pixels=False,
                       masks=None, content_map=None):
        with tf.GradientTape() as tape:
            tape.watch(pixels)
            feats = self._features(pixels)
            if content_from_pixels:
                content_t = tuple(tf.stop_gradient(tf.cast(feats[n][0], tf.float32)) for n in self.content_layers)
            content, style, tv = self._terms(pixels, feats, content_t, style_t, layer_w, tv_power, masks, content_map)
            parts = tf.stack([content, style, tv]) * weights
            total = tf.reduce_sum(parts)
        return total, parts, tape.gradient(total, pixels), content_t

    def _step(self, pixels, content_t, style_t, weights, layer_w, tv_power):
        return self._loss_and_grad(pixels, content_t, style_t, weights, layer_w, tv_power)[:3]

    def _first_step(self, pixels, style_t, weights, layer_w, tv_power):
        # At the content image itself its features are the content targets: one forward pass gives
        # both, which spares a separate target pass (half an iteration) before the first preview.
        return self._loss_and_grad(pixels, None, style_t, weights, layer_w, tv_power, content_from_pixels=True)

    def content_targets(self, content: np.ndarray) -> tuple:
        """uint8 [H, W, 3] -> content features, one [h, w, C] per content layer."""
        return tuple(self.content_fn(tf.constant(content, tf.float32)))

    def style_targets(self, style: np.ndarray) -> tuple:
        """uint8 [H, W, 3] -> Gram matrices [C, C], one per style layer. The last few styles' Grams are
        kept, keyed by the pixels' hash, so a re-run with other weights starts a forward pass sooner.
        (The same bytes give the same Grams, so a hit reveals nothing a caller did not already hold.)"""
        key = (style.shape, hashlib.blake2b(np.ascontiguousarray(style).data, digest_size=16).digest())
        with self._cache_lock:
            if key in self._style_cache:
                self._style_cache.move_to_end(key)
                return self._style_cache[key]
        grams = tuple(self.style_fn(tf.constant(style, tf.float32)))
        with self._cache_lock:
            self._style_cache[key] = grams
            while len(self._style_cache) > STYLE_CACHE_SIZE:
                self._style_cache.popitem(last=False)
        return grams

    def targets(self, content: np.ndarray, style: np.ndarray) -> Targets:
        """uint8 images -> Targets, computed once per run."""
        return Targets(self.content_targets(content), self.style_targets(style))

    def features_of(self, image: np.ndarray) -> dict:
        """{layer: [1, h, w, C]} of an image (uint8 or float32 [H, W, 3] in 0..255): one forward pass
        op by op, nothing traced. A caller that keeps them passes them back to :meth:`eager_targets`
        and :meth:`loss_at` instead of a second pass over the same pixels."""
        return self._features(tf.constant(image, tf.float32))

    def eager_targets(self, content: np.ndarray, style: np.ndarray, features=None) -> Targets:
        """The same Targets op by op, nothing traced: for a few passes at a small size (timing a path,
        judging a picture), where tracing the target passes would cost more than running them.
        ``features``: image -> :meth:`features_of` (default: that pass itself)."""
        features = features or self.features_of
        return Targets(self._content_of(features(content)), self._grams_of(features(style)))

    def loss_at(self, pixels: np.ndarray, targets: Targets, weights, layer_w, tv_power: float,
                features: dict | None = None) -> float:
        """The total loss at ``pixels`` (float32 [H, W, 3] in 0..255), op by op: one forward pass (none
        given ``features``, :meth:`features_of` these pixels), no gradient, nothing traced (judging a
        few pictures). The plain objective: no masks, no content map."""
        if targets.masks is not None or targets.content_map is not None:
            raise ValueError("loss_at computes the plain objective: targets with masks or a content map need the step")
        x = tf.constant(pixels, tf.float32)
        weights, layer_w, tv_power = self._knobs(weights, layer_w, tv_power)
        feats = self._features(x) if features is None else features
        terms = self._terms(x, feats, targets.content, targets.style, layer_w, tv_power)
        return float(tf.reduce_sum(tf.stack(terms) * weights))

    def _knobs(self, weights, layer_w, tv_power):
        return (tf.constant(weights, tf.float32), tf.constant(layer_w, tf.float32), tf.constant(tv_power, tf.float32))

    @staticmethod
    def _out(total, parts, grad):
        return float(total), named_terms(parts.numpy()), grad.numpy()

    def __call__(self, pixels: np.ndarray, targets: Targets, weights, layer_w, tv_power: float):
        """float32 [H, W, 3] in 0..255 -> (total, {content, style, tv} weighted, gradient float32)."""
        x, knobs = tf.constant(pixels, tf.float32), self._knobs(weights, layer_w, tv_power)
        step = self._variant(targets)[0]
        return self._out(*step(x, targets.content, targets.style, *targets.extras(), *knobs))

    def _variant(self, targets: Targets):
        masks = 0 if targets.masks is None else targets.masks.shape[-1]
        return self._fns(masks, targets.content_map is not None)

    def at_content(self, pixels: np.ndarray, targets: Targets, weights, layer_w, tv_power: float):
        """Like ``__call__`` where ``pixels`` is the content image and ``targets.content`` is not known
        yet; returns (total, parts, gradient, targets with the content filled in)."""
        x, knobs = tf.constant(pixels, tf.float32), self._knobs(weights, layer_w, tv_power)
        first = self._variant(targets)[1]
        total, parts, grad, content_t = first(x, targets.style, *targets.extras(), *knobs)
        return (*self._out(total, parts, grad), dataclasses.replace(targets, content=tuple(content_t)))


def get_objective(extractor, content_layers, style_layers, normalization: str = "balanced",
                  xla: bool = False) -> Objective:
    """One Objective per (extractor, layers, normalisation) per process, so tracing happens once."""
    key = (extractor, tuple(content_layers), tuple(style_layers), normalization, xla)
    with _lock:
        if key not in _cache:
            _cache[key] = Objective(extractor, content_layers, style_layers, normalization, xla)
        return _cache[key]


def objective_for(s, conv: str, extractor=None) -> Objective:
    """The compiled objective ``s`` asks for, over VGG19 with the convolution path ``conv`` named
    outright ("auto" is resolved by the caller: nst_core.optim.autotune times this very step), or over
    ``extractor`` (tests pass a tiny model: [1, H, W, 3] -> {layer: [1, h, w, C]})."""
    content_layers, style_layers = s.layer_names
    if extractor is None:
        from .features import vgg_features

        extractor = vgg_features(s.weights, content_layers + style_layers, conv, s.padding)
    return get_objective(extractor, content_layers, style_layers, s.normalization, s.xla)

