"""The fast path: the Magenta arbitrary-image-stylization model (Ghiasi et al. 2017), loaded once.

One feed-forward pass instead of an optimisation: about a second on a CPU, a rougher picture. The
model comes from ``Settings.hub_model``: "embedded" (the default, the lite Magenta model shipped in
``data/magenta_lite``, so Instant works offline), or what the operator sets in NST_HUB_MODEL: a TF-Hub
URL (the full model) or a local SavedModel folder.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .imaging.images import ImageInput, check_size, fit_size, load_image, load_rgba, resize, with_alpha
from .settings import Settings
from .tf_quiet import import_tensorflow

tf = import_tensorflow()
STYLE_SIZE = 256  # the size the model was trained with for style images
EMBEDDED_MODEL = Path(__file__).parent / "data" / "magenta_lite"
_lock = threading.Lock()
_models: dict = {}
_failures: dict[str, ModelLoadError] = {}  # a handle that failed is not tried again in this process
log = logging.getLogger("nst_core")


def load_model(handle: str):
    """The hub model behind ``handle`` ("embedded", a URL or a folder), loaded once per process
    (thread-safe; calls are too). Raises ModelLoadError with the operator's fix."""
    with _lock:
        if handle in _failures:
            raise _failures[handle]
        if handle not in _models:
            path = str(EMBEDDED_MODEL) if handle == "embedded" else handle
            try:
                import tensorflow_hub as hub

                _models[handle] = hub.load(path)
            except Exception as exc:
                _failures[handle] = ModelLoadError(
                    f"could not load the fast-path model from {path} ({exc.__class__.__name__}); set "
                    f"NST_HUB_MODEL (or --hub-model) to 'embedded', a local SavedModel folder or a reachable "
                    f"TF-Hub handle. The optimisation path still works.")
                log.warning("%s", _failures[handle])
                raise _failures[handle] from None
        return _models[handle]


def fast_model_problem(settings: Settings | None = None) -> str | None:
    """None if the fast-path model loads, else a reason a visitor understands (the operator's fix
    goes to the log). Loads the model: call it off the request path, or after warm-up."""
    try:
        load_model((settings or Settings()).hub_model)
        return None
    except ModelLoadError:
        return ModelLoadError.VISITOR


def style_input(style: np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 -> float32 [1, 256, 256, 3] in [0, 1]: centre square, 256 px, 3x3 box blur
    (as the TensorFlow tutorial feeds the model)."""
    h, w = style.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = resize(style[top:top + side, left:left + side], (STYLE_SIZE, STYLE_SIZE))
    x = tf.constant(square[None], tf.float32) / 255.0
    return tf.nn.avg_pool(x, ksize=3, strides=1, padding="SAME").numpy()


def fast_stylize(content: ImageInput, style: ImageInput, settings: Settings | None = None, *,
                 strength: float | None = None) -> np.ndarray:
    """Stylise in one pass; returns uint8 H x W x 3 at the content's size (bounded by max_size), or
    H x W x 4 where the photo has transparency: its alpha, over a picture painted throughout.

    ``strength`` in [0, 1] blends the model's output with the content (1 = the model's output).
    The model itself has no strength input: this is a plain per-pixel blend.
    """
    s = settings or Settings()
    strength = s.fast_strength if strength is None else strength
    if not 0.0 <= strength <= 1.0:
        from .errors import SettingsError

        raise SettingsError(f"strength must be between 0 and 1, got {strength!r}")
    c, alpha = load_rgba(content, s.limits, "content image")
    c = resize(c, fit_size(c.shape[:2], s.max_size))
    check_size(c, "content image")
    st = load_image(style, s.limits, "style image")
    model = load_model(s.hub_model)
    out = model(tf.constant(c[None], tf.float32) / 255.0, tf.constant(style_input(st)))[0][0].numpy()
    if out.shape[:2] != c.shape[:2]:  # some model versions pad to a multiple of 4
        out = tf.image.resize(out, c.shape[:2]).numpy()
    blended = strength * np.clip(out, 0, 1) * 255.0 + (1.0 - strength) * c.astype(np.float32)
    return with_alpha(np.clip(blended + 0.5, 0, 255).astype(np.uint8), alpha)


def frame_stylizer(style: ImageInput, settings: Settings | None = None, *, strength: float | None = None):
    """A function uint8 H x W x 3 frame -> its stylisation (same size, uint8), for the many frames of
    one clip or webcam session: the style is read and, where the model has ``style_bottleneck`` (the
    embedded one does), turned into its 100-value code once, not once per frame. Frames are not
    resized here: the caller sizes them (the video's limits, the webcam's 256 px)."""
    s = settings or Settings()
    strength = s.fast_strength if strength is None else strength
    st = load_image(style, s.limits, "style image")
    model = load_model(s.hub_model)
    style_t = tf.constant(style_input(st))
    if hasattr(model, "style_bottleneck") and hasattr(model, "transform_with_bottleneck"):
        code = model.style_bottleneck(style_t)

        def run(c: tf.Tensor) -> tf.Tensor:
            h, w = c.shape[1:3]
            ph, pw = -h % 4, -w % 4  # the transformer wants sides that are multiples of 4
            padded = tf.pad(c, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="SYMMETRIC") if ph or pw else c
            return model.transform_with_bottleneck(padded, code)[:, :h, :w]
    else:  # a TF-Hub handle or folder with only the two-input signature
        def run(c: tf.Tensor) -> tf.Tensor:
            return model(c, style_t)[0]

    def stylise(frame: np.ndarray) -> np.ndarray:
        c = tf.constant(frame[None], tf.float32) / 255.0
        out = run(c)[0].numpy()
        if out.shape[:2] != frame.shape[:2]:
            out = tf.image.resize(out, frame.shape[:2]).numpy()
        if strength == 1:  # the same bytes as the blend below, in one pass instead of four (8 ms a 480p frame)
            return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
        blended = strength * np.clip(out, 0, 1) * 255.0 + (1.0 - strength) * frame.astype(np.float32)
        return np.clip(blended + 0.5, 0, 255).astype(np.uint8)

    return stylise
