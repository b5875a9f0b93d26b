"""The compiled objective: style/content targets once per run, then loss and gradient per iteration.

Each function is traced once per process for a given (extractor, layer set, normalisation): images
of any size, targets and weights all enter as tensors, so a new run, a new size or new weights
reuse the same graph.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from . import losses
from .features import preprocess, tf

_lock = threading.Lock()
_cache: dict = {}

_IMAGE = tf.TensorSpec([None, None, 3], tf.float32)  # RGB pixels in 0..255
_SCALAR = tf.TensorSpec([], tf.float32)


@dataclass(frozen=True)
class Targets:
    """What the result is pulled towards: content features [h, w, C] and style Grams [C, C]."""

    content: tuple
    style: tuple


class Objective:
    """Total loss = cw * mean(content terms) + sw * sum_l w_l style_l + tvw * tv."""

    def __init__(self, extractor, content_layers: tuple[str, ...], style_layers: tuple[str, ...],
                 normalization: str = "mean", xla: bool = False):
        self.extractor, self.normalization = extractor, normalization
        self.content_layers, self.style_layers = tuple(content_layers), tuple(style_layers)
        self.kio = normalization == "keras-io"
        self._gram = losses.kio_gram if self.kio else losses.gram
        features = tf.TensorSpec([None, None, None], tf.float32)
        grams = tf.TensorSpec([None, None], tf.float32)
        self.targets_fn = tf.function(self._targets, input_signature=[_IMAGE, _IMAGE])
        # XLA fuses the step (faster per iteration on CPU) but compiles again for each new image shape.
        self.step = tf.function(self._step, jit_compile=xla, input_signature=[
            _IMAGE, tuple(features for _ in self.content_layers), tuple(grams for _ in self.style_layers),
            tf.TensorSpec([3], tf.float32), tf.TensorSpec([len(self.style_layers)], tf.float32), _SCALAR])

    def _features(self, pixels):
        feats = self.extractor(preprocess(pixels))
        return feats

    def _targets(self, content, style):
        c = self._features(content)
        s = self._features(style)
        return (tuple(c[n][0] for n in self.content_layers),
                tuple(self._gram(s[n][0]) for n in self.style_layers))

    def _terms(self, pixels, content_t, style_t, layer_w, tv_power):
        feats = self._features(pixels)
        if self.kio:
            npix = tf.cast(tf.shape(pixels)[0] * tf.shape(pixels)[1], tf.float32)
            content = tf.add_n([losses.kio_content_loss(feats[n][0], t)
                                for n, t in zip(self.content_layers, content_t)])
            style_each = [losses.kio_style_loss(losses.kio_gram(feats[n][0]), t, npix)
                          for n, t in zip(self.style_layers, style_t)]
            tv = losses.kio_tv_loss(preprocess(pixels)[0], tv_power)
        else:
            content = tf.add_n([losses.content_loss(feats[n][0], t)
                                for n, t in zip(self.content_layers, content_t)]) / len(self.content_layers)
            style_each = [losses.style_loss(losses.gram(feats[n][0]), t)
                          for n, t in zip(self.style_layers, style_t)]
            tv = losses.tv_loss(pixels / 255.0, tv_power)
        style = tf.reduce_sum(tf.stack(style_each) * layer_w)
        return content, style, tv

    def _step(self, pixels, content_t, style_t, weights, layer_w, tv_power):
        with tf.GradientTape() as tape:
            tape.watch(pixels)
            content, style, tv = self._terms(pixels, content_t, style_t, layer_w, tv_power)
            parts = tf.stack([content, style, tv]) * weights
            total = tf.reduce_sum(parts)
        return total, parts, tape.gradient(total, pixels)

    def targets(self, content: np.ndarray, style: np.ndarray) -> Targets:
        """uint8 images -> Targets, computed once per run."""
        c, s = self.targets_fn(tf.constant(content, tf.float32), tf.constant(style, tf.float32))
        return Targets(tuple(c), tuple(s))

    def __call__(self, pixels: np.ndarray, targets: Targets, weights, layer_w, tv_power: float):
        """float32 [H, W, 3] in 0..255 -> (total, {content, style, tv} weighted, gradient float32)."""
        total, parts, grad = self.step(tf.constant(pixels, tf.float32), targets.content, targets.style,
                                       tf.constant(weights, tf.float32), tf.constant(layer_w, tf.float32),
                                       tf.constant(tv_power, tf.float32))
        p = parts.numpy()
        return float(total), {"content": float(p[0]), "style": float(p[1]), "tv": float(p[2])}, grad.numpy()


def get_objective(extractor, content_layers, style_layers, normalization: str = "mean",
                  xla: bool = False) -> Objective:
    """One Objective per (extractor, layers, normalisation) per process, so tracing happens once."""
    key = (extractor, tuple(content_layers), tuple(style_layers), normalization, xla)
    with _lock:
        if key not in _cache:
            _cache[key] = Objective(extractor, content_layers, style_layers, normalization, xla)
        return _cache[key]
