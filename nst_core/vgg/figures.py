"""How a picture looks, in three figures: how much it has the painting's texture, its palette, and
the photo's content. ``conv="auto"`` judges a faster convolution path by them (``optim.autotune``),
and ``benchmarks/quality.py`` reports them (there on Keras' VGG19, so that a change to the engine
cannot flatter its own score).

* texture: mean over the style layers of ||G(R) - G(S)||_F / ||G(S)||_F (per-pixel Grams);
* palette: sliced Wasserstein-1 distance between the RGB pixel sets of R and S, in levels (0..255);
* content: ||F(R) - F(C)|| / ||F(C)|| at the content layer.

R is the result, S the painting at the result's longer side, C the photo at the result's size.
"""
from __future__ import annotations

import numpy as np

FIGURES = ("texture", "palette", "content")


def palette_distance(a: np.ndarray, b: np.ndarray, projections: int = 64, seed: int = 0) -> float:
    """Sliced Wasserstein-1 between the RGB pixel sets of two uint8 images, in levels (0..255)."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(projections, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    qs = np.linspace(0, 1, 1001)
    # sorted first: the same quantiles, sooner than numpy's partition at 1001 points
    pa = np.quantile(np.sort(a.reshape(-1, 3).astype(np.float64) @ dirs.T, axis=0), qs, axis=0)
    pb = np.quantile(np.sort(b.reshape(-1, 3).astype(np.float64) @ dirs.T, axis=0), qs, axis=0)
    return float(np.mean(np.abs(pa - pb)))


def palette_drop(result: np.ndarray, photo: np.ndarray, style: np.ndarray) -> float:
    """How much of the way from the photo's palette to the style's the result went: 1 - d(R, S) / d(C, S)
    with d :func:`palette_distance` (0 = the photo's own palette, 1 = the style's; photo mode's figure).
    ``photo`` at the result's size, ``style`` at any size (a palette is a distribution)."""
    return 1.0 - palette_distance(result, style) / palette_distance(photo, style)


def luminance_ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004: Gaussian window of ``sigma`` px, K1 0.01, K2 0.03) of two uint8
    pictures' BT.601 luminance, the 3.5-sigma border left out: 1 = the same structure. Photo mode's
    figure for "no strokes, straight edges"."""
    from scipy.ndimage import gaussian_filter

    y = np.array([0.299, 0.587, 0.114])
    a, b = a.astype(np.float64) @ y, b.astype(np.float64) @ y
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return gaussian_filter(z, sigma, truncate=3.5)

    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma * ma, blur(b * b) - mb * mb, blur(a * b) - ma * mb
    index = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    edge = int(np.ceil(3.5 * sigma))
    return float(index[edge:-edge, edge:-edge].mean())


def gram(f: np.ndarray) -> np.ndarray:
    f = f.reshape(-1, f.shape[-1]).astype(np.float64)
    return f.T @ f / f.shape[0]


def figures(features, result: np.ndarray, photo: np.ndarray, painting: np.ndarray) -> dict[str, float]:
    """The three figures of ``result`` (uint8 [H, W, 3]) for the ``photo`` and ``painting`` it was made
    from, sized here as the engine sizes them. ``features``: uint8 image -> (style layers' activations
    [h, w, C]..., content layer's activations), float32 arrays."""
    from ..imaging.images import resize

    h, w = result.shape[:2]
    photo = resize(photo, (h, w))
    k = max(h, w) / max(painting.shape[:2])
    painting = resize(painting, (round(painting.shape[0] * k), round(painting.shape[1] * k)))
    fr, fc, fs = features(result), features(photo), features(painting)
    texture = np.mean([np.linalg.norm(gram(a) - gram(b)) / np.linalg.norm(gram(b)) for a, b in zip(fr[:-1], fs[:-1])])
    content = np.linalg.norm(fr[-1].astype(np.float64) - fc[-1]) / np.linalg.norm(fc[-1].astype(np.float64))
    return {"texture": float(texture), "palette": palette_distance(result, painting), "content": float(content)}


def figure_gaps(figs: dict[str, float], reference: dict[str, float]) -> dict[str, float]:
    """Each figure's relative difference from the reference's, |a / b - 1|."""
    return {k: abs(figs[k] / reference[k] - 1) if reference[k] else abs(figs[k]) for k in reference}
