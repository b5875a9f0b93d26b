"""The VGG19 feature extractor, cut at the deepest layer in use, built once per weights source."""
from __future__ import annotations

import threading

from .tf_quiet import import_tensorflow
from .weights import CONV_LAYERS, load_weights

tf = import_tensorflow()

#: Caffe's ImageNet mean in BGR order: VGG19's weights expect BGR pixels 0..255 minus this.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_lock = threading.Lock()
_models: dict = {}


def preprocess(pixels: tf.Tensor) -> tf.Tensor:
    """[H, W, 3] RGB in 0..255 -> [1, H, W, 3] BGR minus the Caffe mean (VGG19's input)."""
    return (tf.reverse(pixels, axis=[-1]) - tf.constant(CAFFE_MEAN_BGR, pixels.dtype))[None]


class VGGFeatures:
    """Callable: [1, H, W, 3] preprocessed -> {layer name: [1, h, w, C]}, for the given layers only.

    The Keras model stops at the deepest requested layer, so no work is done past it.
    """

    def __init__(self, model, layers: tuple[str, ...]):
        self.layers = tuple(dict.fromkeys(layers))
        self.model = model

    def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        outs = self.model(x)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return dict(zip(self.layers, outs))


def keras_vgg19(source: str = "embedded"):
    """A Keras VGG19 (notop, any input size) holding the weights from ``source``. Cached."""
    with _lock:
        if source not in _models:
            weights = load_weights(source)  # raises WeightsError with the fix in the message
            import keras

            model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
            for name in CONV_LAYERS:
                model.get_layer(name).set_weights(list(weights[name]))
            model.trainable = False
            _models[source] = model
        return _models[source]


def vgg_features(source: str, layers: tuple[str, ...]) -> VGGFeatures:
    """The extractor for ``layers`` (any order, duplicates allowed). Cached per (source, layers)."""
    key = (source, tuple(sorted(set(layers))))
    vgg = keras_vgg19(source)
    with _lock:
        if key not in _models:
            import keras

            names = tuple(dict.fromkeys(layers))
            sub = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
            _models[key] = VGGFeatures(sub, names)
        return _models[key]
