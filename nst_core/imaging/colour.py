"""Colour preservation (Gatys et al. 2016, 'Preserving colour in neural artistic style transfer'),
and its converse, the painting's palette on the photo without its strokes ("Palette only").

Pure numpy on uint8 H x W x 3 RGB images:
* luminance transfer: keep the result's luma (Y) and the content's chroma (Cb, Cr), BT.601;
* colour matching: an affine map that gives the style image the content's RGB mean and covariance;
* palette only: the photo given the painting's colours, three ways (``PALETTES``), one used.
"""
from __future__ import annotations

import numpy as np

from .images import by_bands

_TO_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]],
                   np.float64)
_FROM_YCC = np.linalg.inv(_TO_YCC)


def to_ycc(rgb: np.ndarray) -> np.ndarray:
    """uint8/float RGB 0..255 -> float YCbCr (Y 0..255, Cb/Cr centred on 0)."""
    return rgb.astype(np.float64) @ _TO_YCC.T


def from_ycc(ycc: np.ndarray) -> np.ndarray:
    return np.clip(ycc @ _FROM_YCC.T + 0.5, 0, 255).astype(np.uint8)


def keep_content_colours(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's chroma (same H x W), a band of rows at a time: the
    float64 colour spaces of a whole 4096 px print were 300 MB each."""
    return by_bands(_keep_content_colours, result, content)


def _keep_content_colours(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    ycc = to_ycc(content)
    ycc[..., 0] = to_ycc(result)[..., 0]
    return from_ycc(ycc)


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 1e-5)
    return (vecs * (vals ** (-0.5 if inverse else 0.5))) @ vecs.T


def match_colours(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Style pixels mapped so their RGB mean and covariance equal the content's:
    x' = C_c^(1/2) C_s^(-1/2) (x - mu_s) + mu_c (the symmetric 'image analogies' square root)."""
    s = style.reshape(-1, 3).astype(np.float64)
    c = content.reshape(-1, 3).astype(np.float64)
    mu_s, mu_c = s.mean(0), c.mean(0)
    a = _sqrtm(np.cov(c, rowvar=False)) @ _sqrtm(np.cov(s, rowvar=False), inverse=True)
    out = (s - mu_s) @ a.T + mu_c
    return np.clip(out + 0.5, 0, 255).astype(np.uint8).reshape(style.shape)


# ---- palette only: the painting's colours on the photo, no strokes ------------------------------
# Three ways of carrying a palette over, each global (one map for every pixel, so the photo's detail
# and edges stay its own). ``benchmarks/palette.py`` compares them on several pairs; PALETTE_METHOD is
# the one the app, the CLI and ``palette_only`` use, and docs/portraits-and-photos.md says why.

# Reinhard et al. (2001): RGB -> LMS cone space -> log -> l-alpha-beta (Ruderman's decorrelated axes)
_RGB_TO_LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
_LOG_LMS_TO_LAB = np.diag([3 ** -0.5, 6 ** -0.5, 2 ** -0.5]) @ np.array([[1, 1, 1], [1, 1, -2], [1, -1, 0]])
_LAB_TO_RGB = np.linalg.inv(_LOG_LMS_TO_LAB), np.linalg.inv(_RGB_TO_LMS)
_DARKEST = 1.0  # levels added before the log: black has no logarithm, and near-black noise is not colour


STATS_PIXELS = 1 << 16  # colours are counted on at most this many pixels: the same statistics, 4x sooner


def _mul(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each row of [N, 3] ``x`` times the 3x3 ``m`` (x m^T). einsum, not @: BLAS threads on a matrix
    this thin cost ten times the sum (136 ms against 12 for a 512 px picture on a busy 2-core CPU)."""
    return np.einsum("nk,jk->nj", x, m.astype(np.float32))


def _counted(x: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """The rows of [N, 3] ``x`` whose colours count: a cut-out's solid pixels (alpha >= 128), or all
    of them, every k-th one where there are more than STATS_PIXELS."""
    if alpha is not None:
        solid = alpha.reshape(-1) >= 128
        if solid.sum() >= 16:  # else a nearly empty cut-out: its faint rest, all of it
            x = x[solid]
    return x[::max(1, len(x) // STATS_PIXELS)]


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    return _mul(np.log10(_mul(rgb.reshape(-1, 3).astype(np.float32), _RGB_TO_LMS) + _DARKEST), _LOG_LMS_TO_LAB)


def _from_lab(lab: np.ndarray, shape) -> np.ndarray:
    lms = 10 ** _mul(lab, _LAB_TO_RGB[0]) - _DARKEST
    return np.clip(_mul(lms, _LAB_TO_RGB[1]) + 0.5, 0, 255).astype(np.uint8).reshape(shape)


def palette_reinhard(photo: np.ndarray, painting: np.ndarray, photo_alpha: np.ndarray | None = None,
                     painting_alpha: np.ndarray | None = None) -> np.ndarray:
    """Reinhard et al. 2001: each l-alpha-beta channel of the photo given the painting's mean and
    spread. The axes are decorrelated for natural images, so three separate matches nearly act as one."""
    p, s = _to_lab(photo), _to_lab(painting)
    pp, ss = _counted(p, photo_alpha), _counted(s, painting_alpha)
    scale = ss.std(0) / np.maximum(pp.std(0), 1e-6)
    return _from_lab((p - pp.mean(0)) * scale + ss.mean(0), photo.shape)


def _covariance_map(p: np.ndarray, s: np.ndarray):
    """(A, b) with A x + b giving pixels like ``p`` the mean and covariance of pixels like ``s``:
    A = Cp^-1/2 (Cp^1/2 Cs Cp^1/2)^1/2 Cp^-1/2. Every A with A Cp A^T = Cs matches the two Gaussians
    (match_colours' Cs^1/2 Cp^-1/2 is another); this one (Monge-Kantorovich, as in Pitie and Kokaram
    2007) moves the photo's colours least, so it changes the photo no more than the palette asks."""
    cp, cs = np.cov(p, rowvar=False), np.cov(s, rowvar=False)
    root, inv = _sqrtm(cp), _sqrtm(cp, inverse=True)
    a = inv @ _sqrtm(root @ cs @ root) @ inv
    return a, s.mean(0) - p.mean(0) @ a.T


def palette_covariance(photo: np.ndarray, painting: np.ndarray, photo_alpha: np.ndarray | None = None,
                       painting_alpha: np.ndarray | None = None) -> np.ndarray:
    """The photo's RGB given the painting's mean and full covariance: one affine map, the
    correlations between the channels included."""
    p = photo.reshape(-1, 3).astype(np.float32)
    s = painting.reshape(-1, 3).astype(np.float32)
    a, b = _covariance_map(_counted(p, photo_alpha), _counted(s, painting_alpha))
    return np.clip(_mul(p, a) + (b + 0.5).astype(np.float32), 0, 255).astype(np.uint8).reshape(photo.shape)


LUT_STEPS = 4096  # the quantile map tabulated over each axis's range: 0.1 of a level apart, interp's 1/8 time


def _quantile_map(x: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """np.interp(x, src, dst), through a table over x's range."""
    lo, hi = float(x.min()), float(x.max())
    grid = np.linspace(lo, hi, LUT_STEPS, dtype=np.float32)
    table = np.interp(grid, src, dst).astype(np.float32)
    index = ((x - lo) * ((LUT_STEPS - 1) / max(hi - lo, 1e-6)) + 0.5).astype(np.int32)
    return table[index]


def _quantiles(x: np.ndarray, n: int = 257) -> np.ndarray:
    """np.quantile(x, linspace(0, 1, n), axis=0) from one sort: np.quantile partitions once per
    quantile asked, a third of the whole transfer's time."""
    xs = np.sort(x, axis=0)
    pos = np.linspace(0, len(xs) - 1, n)
    lo = np.floor(pos).astype(int)
    hi, frac = np.minimum(lo + 1, len(xs) - 1), (pos - lo)[:, None]
    return xs[lo] * (1 - frac) + xs[hi] * frac


def palette_histogram(photo: np.ndarray, painting: np.ndarray, photo_alpha: np.ndarray | None = None,
                      painting_alpha: np.ndarray | None = None) -> np.ndarray:
    """The covariance match, then along each of the painting's principal colour axes (its
    decorrelated channels) the painting's whole histogram, by quantile matching: a mean and a
    covariance describe one cloud of colours, so a painting's two or three dominant colours come over
    as a wash between them; its histograms along those axes keep them apart."""
    p = photo.reshape(-1, 3).astype(np.float32)
    s = _counted(painting.reshape(-1, 3).astype(np.float32), painting_alpha)
    a, b = _covariance_map(_counted(p, photo_alpha), s)
    _, axes = np.linalg.eigh(np.cov(s, rowvar=False))
    # the covariance map and the turn onto the painting's axes, in one 3x3 product
    p = _mul(p, axes.T @ a) + (b @ axes).astype(np.float32)
    s = _mul(s, axes.T)
    src, dst = _quantiles(_counted(p, photo_alpha)), _quantiles(s)
    out = np.stack([_quantile_map(p[:, k], src[:, k], dst[:, k]) for k in range(3)], axis=1)
    return np.clip(_mul(out, axes) + 0.5, 0, 255).astype(np.uint8).reshape(photo.shape)


PALETTES = {"reinhard": palette_reinhard, "covariance": palette_covariance, "histogram": palette_histogram}
PALETTE_METHOD = "histogram"
STATS_SIDE = 512  # the painting's colours are counted this small: the same palette, a fraction of the time


def palette_only(content, style, settings=None) -> np.ndarray:
    """The painting's colours on the photo, without its strokes: uint8 H x W x 3 at the photo's size
    bounded by ``max_size`` (or x 4, with the photo's alpha, for a cut-out; the colours are counted
    over the solid parts of both pictures). Numpy only: a few hundredths of a second at 512 px."""
    from ..settings import Settings
    from .images import fit_size, load_rgba, resize, resize_alpha, with_alpha

    s = settings or Settings()
    photo, alpha = load_rgba(content, s.limits, "content image")
    painting, painting_alpha = load_rgba(style, s.limits, "style image")
    photo = resize(photo, fit_size(photo.shape[:2], s.max_size, s.enlarge))
    alpha = None if alpha is None else resize_alpha(alpha, photo.shape[:2])
    small = fit_size(painting.shape[:2], STATS_SIDE)
    painting = resize(painting, small)
    painting_alpha = None if painting_alpha is None else resize_alpha(painting_alpha, small)
    return with_alpha(PALETTES[PALETTE_METHOD](photo, painting, alpha, painting_alpha), alpha)
