"""stylize(): the Gatys et al. optimisation as a generator of Frames. All run state lives in locals."""
from __future__ import annotations

import math
import time
from typing import Iterator

import numpy as np

from .frame import Frame
from .images import ImageInput, check_size, fit_size, load_image, resize, to_uint8
from .objective import get_objective
from .optimize import make_optimizer
from .settings import Settings


def prepare_images(content: ImageInput, style: ImageInput, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Load and size both images: content to ``max_size``; style to the same longer side
    (to the content's exact shape under keras-io normalisation, as that example does)."""
    c = load_image(content, s.limits, "content image")
    st = load_image(style, s.limits, "style image")
    c = resize(c, fit_size(c.shape[:2], s.max_size))
    if s.normalization == "keras-io":
        st = resize(st, c.shape[:2])
    else:
        h, w = st.shape[:2]
        scale = max(c.shape[:2]) / max(h, w)
        st = resize(st, (max(1, round(h * scale)), max(1, round(w * scale))))
    check_size(c, "content image")
    check_size(st, "style image")
    return c, st


def initial_pixels(s: Settings, content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """float32 [H, W, 3] in 0..255: where the optimisation starts."""
    if s.init == "noise":
        return np.random.default_rng(s.seed).uniform(0, 255, content.shape).astype(np.float32)
    if s.init == "style":
        return resize(style, content.shape[:2]).astype(np.float32)
    if s.init == "fast":  # a draft from the feed-forward model, refined by the optimisation
        from .fast import fast_stylize

        return fast_stylize(content, style, s).astype(np.float32)
    return content.astype(np.float32)


def stylize(content: ImageInput, style: ImageInput, settings: Settings | None = None, *,
            extractor=None) -> Iterator[Frame]:
    """Yield a Frame every ``preview_every`` iterations, then a final one with the best image.

    One iteration is one forward and one backward pass of VGG19 (up to the deepest layer in use).
    Closing the generator stops the work at once and ends the optimiser's worker.
    ``extractor`` replaces VGG19 (tests pass a tiny model): [1, H, W, 3] -> {layer: [1, h, w, C]}.
    """
    s = settings or Settings()
    t0 = time.perf_counter()
    content_img, style_img = prepare_images(content, style, s)
    content_layers, style_layers = s.layer_names
    if extractor is None:
        from .features import vgg_features

        extractor = vgg_features(s.weights, content_layers + style_layers)
    objective = get_objective(extractor, content_layers, style_layers, s.normalization)
    targets = objective.targets(content_img, style_img)
    weights = (s.content_weight, s.style_weight, s.tv_weight)
    layer_w = s.normalized_style_layer_weights
    if s.normalization == "keras-io":
        layer_w = tuple(1.0 / len(style_layers) for _ in style_layers)  # sw / len(layers), as there
    start = initial_pixels(s, content_img, style_img)
    opt = make_optimizer(start, s)
    best, best_losses, done, message = None, None, 0, ""
    try:
        for it in range(1, s.iterations + 1):
            x = opt.ask()
            if x is None:
                break
            total, parts, grad = objective(x, targets, weights, layer_w, s.tv_power)
            if not (math.isfinite(total) and np.isfinite(grad).all()):
                message = (f"the loss became {total} at iteration {it}; stopped and kept the best image "
                           f"so far (lower the learning rate or the weights)")
                break
            done, losses = it, {**parts, "total": total}
            if best_losses is None or total <= best_losses["total"]:
                best, best_losses = x.copy(), losses
            opt.tell(total, grad)
            if it % s.preview_every == 0 and it < s.iterations:
                yield Frame(it, s.iterations, losses, time.perf_counter() - t0, to_uint8(x))
    finally:
        opt.close()
    if best is None:  # diverged at the first step: the start image is all we have
        best = start
        best_losses = {"content": math.nan, "style": math.nan, "tv": math.nan, "total": math.nan}
    yield Frame(done, s.iterations, best_losses, time.perf_counter() - t0, to_uint8(best),
                final=True, message=message)
