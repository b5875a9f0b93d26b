"""The VGG19 feature extractor: plain TensorFlow ops over the weight arrays, cut at the deepest layer in use.

Block 1 (3 and 64 channels at full resolution) runs oneDNN's direct convolution in [H, W, C];
blocks 2-5 run Winograd F(4x4, 3x3) in channel-major [C, H, W] (see ``winograd``), which is
1.5-2x faster per iteration here with the same losses to float32 rounding. ``conv="direct"``
keeps oneDNN everywhere. ``direct-bf16`` carries the activations in bfloat16 (convolutions, bias,
ReLU and pooling, forward and backward: where the time goes) and hands the layers out in bf16; the
losses take them to float32, so Grams and losses are float32 (``losses.gram``; bf16 Grams moved a
picture's palette by 3.5 %: docs/how-it-works.md, bfloat16). block1_conv1's convolution reads the
pixels in float32: in bf16 the pixels themselves would be rounded (a step of 1 level above 128), and
the optimiser's smaller steps would not move the loss.
``winograd-bf16`` runs only Winograd's large matmuls in bf16 (its transforms need float32). Both
pay only on CPUs with native bf16 (``autotune`` picks). Keras is only needed by :func:`keras_vgg19`.

Block 1's convolutions pad the border by reflection (``padding="reflect"``, the default) rather than
with zeros: in VGG's mean-subtracted input a zero is a flat grey frame, which the style loss reads as
an edge and paints over as a bright band along the picture's border. Reflection continues the
picture. ``padding="zero"`` is Keras' VGG19 exactly (the keras.io objective and the literal Gatys
preset use it, for comparisons).
"""
from __future__ import annotations

import functools
import os
import threading

from . import winograd
from ..tf_quiet import import_tensorflow
from ..settings import CONV_ALGORITHMS, PADDINGS
from .weights import CONV_LAYERS, load_weights

tf = import_tensorflow()

#: Caffe's ImageNet mean in BGR order: VGG19's weights expect BGR pixels 0..255 minus this.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_lock = threading.RLock()
_models: dict = {}


def preprocess(pixels: tf.Tensor) -> tf.Tensor:
    """[H, W, 3] RGB in 0..255 -> [1, H, W, 3] BGR minus the Caffe mean (VGG19's input)."""
    return (tf.reverse(pixels, axis=[-1]) - tf.constant(CAFFE_MEAN_BGR, pixels.dtype))[None]


def _block(name: str) -> int:
    return int(name[5])


class _Stack:
    """VGG19's convolutions for one weights source and algorithm, each built on first use.

    A Winograd layer holds its transformed kernel (4x the direct kernel's memory), so layers past
    the deepest one any run asks for are never built.
    """

    def __init__(self, source: str, conv: str):
        self.source, self.conv, self._weights, self._layers = source, conv, None, {}

    def layer(self, name: str):
        """-> (layout, conv, bias): 'hwc' with a [3, 3, C_in, C_out] tensor and bias [C_out], or
        'chw' with a [C_in, H, W] -> [C_out, H, W] function and bias [C_out, 1, 1]."""
        with _lock, tf.init_scope():  # eager constants even when first asked for while tracing
            if name not in self._layers:
                if self._weights is None:
                    self._weights = shared_weights(self.source)  # raises WeightsError with the fix in it
                kernel, bias = self._weights[name]
                algorithm, _, precision = self.conv.partition("-")
                dtype = tf.bfloat16 if precision == "bf16" else tf.float32
                if algorithm == "direct" or _block(name) == 1:
                    act = tf.bfloat16 if self.conv == "direct-bf16" else tf.float32  # the layer's output
                    kdtype = tf.float32 if name == "block1_conv1" else dtype  # see the module's docstring
                    self._layers[name] = ("hwc", tf.cast(kernel, kdtype), tf.cast(bias, act))
                else:
                    self._layers[name] = ("chw", winograd.conv3x3(kernel, dtype), tf.constant(bias[:, None, None]))
            return self._layers[name]


def shared_weights(source: str):
    """:func:`load_weights` once per source for every path's stack (each path ``conv="auto"`` times,
    and the judge of its check, would otherwise dequantise and hold the same 80 MB again). A file is
    read again when it changes on disk."""
    stamp = os.stat(source).st_mtime_ns if source not in ("embedded", "imagenet") and os.path.isfile(source) else None
    return _loaded(source, stamp)


@functools.lru_cache(maxsize=2)
def _loaded(source: str, stamp):
    return load_weights(source)


class VGGFeatures:
    """Callable: [1, H, W, 3] preprocessed -> {layer name: [1, h, w, C]}, for the given layers only.

    The forward pass stops at the deepest requested layer, so no work is done past it.
    """

    def __init__(self, stack: _Stack, layers: tuple[str, ...], padding: str = "reflect"):
        self.layers, self.reflect = tuple(dict.fromkeys(layers)), padding == "reflect"
        deepest = max(CONV_LAYERS.index(n) for n in self.layers)
        self._convs = [(n, *stack.layer(n)) for n in CONV_LAYERS[:deepest + 1]]

    def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        out, block, layout = {}, 1, "hwc"  # 'hwc' tensors are [1, H, W, C], 'chw' ones [C, H, W]
        for name, kind, conv, bias in self._convs:
            if _block(name) != block:  # 2x2 max pool between blocks; batch=C in channel-major
                block = _block(name)
                x = tf.nn.max_pool2d(x, 2, 2, "VALID") if layout == "hwc" else \
                    tf.nn.max_pool2d(x[..., None], 2, 2, "VALID")[..., 0]
            if kind != layout:  # block 1 runs direct, so the only change is to channel-major
                x, layout = tf.transpose(x[0], (2, 0, 1)), kind
            if kind == "chw":
                x = conv(x)
            else:
                pad = self.reflect and block == 1
                xin = tf.cast(tf.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), "REFLECT") if pad else x, conv.dtype)
                x = tf.cast(tf.nn.conv2d(xin, conv, 1, "VALID" if pad else "SAME"), bias.dtype)
            x = tf.nn.relu(x + bias)
            if name in self.layers:
                out[name] = x if layout == "hwc" else tf.transpose(x, (1, 2, 0))[None]
        return out


def vgg_features(source: str, layers: tuple[str, ...], conv: str = "winograd",
                 padding: str = "reflect") -> VGGFeatures:
    """The extractor for ``layers`` (any order, duplicates allowed). Cached per (source, layers, conv,
    padding); the weights are shared between paddings."""
    if conv not in CONV_ALGORITHMS:
        raise ValueError(f"conv must be one of {', '.join(CONV_ALGORITHMS)}, got {conv!r}")
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(PADDINGS)}, got {padding!r}")
    key = (source, tuple(sorted(set(layers))), conv, padding)
    with _lock:
        if key not in _models:
            stack = _models.setdefault((source, conv), _Stack(source, conv))
            _models[key] = VGGFeatures(stack, layers, padding)
        return _models[key]


def keras_vgg19(source: str = "embedded"):
    """A Keras VGG19 (notop, any input size) holding the weights from ``source``: the reference the
    tests and the keras.io baseline use. Cached."""
    with _lock:
        if ("keras", source) not in _models:
            weights = load_weights(source)
            import keras

            model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
            for name in CONV_LAYERS:
                model.get_layer(name).set_weights(list(weights[name]))
            model.trainable = False
            _models[("keras", source)] = model
        return _models[("keras", source)]
