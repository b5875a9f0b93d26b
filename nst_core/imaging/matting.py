"""The photo's own edges, as a sparse matrix: Levin et al.'s matting Laplacian and what photo mode does with it.

Levin, Lischinski and Weiss (2008), "A closed-form solution to natural image matting": in each 3x3
window of the photo I, an output channel that is an affine function of I's colours there costs
nothing, and the cost of any other output is v^T L v with

    L_ij = sum over the windows k holding i and j of  delta_ij - (1 + (I_i - mu_k)^T (S_k + eps/9 E)^-1 (I_j - mu_k)) / 9

(mu_k, S_k the window's colour mean and covariance, E the 3x3 identity). L is symmetric, positive
semi-definite, and L 1 = 0. Photo mode uses it in one of two ways (docs/portraits-and-photos.md):

* ``smooth``: Li et al. (2018, FastPhotoStyle)'s photorealistic smoothing after the painting, as a
  screened solve: the output R minimises lam ||R - Y||^2 + R^T L R for the stylised Y, i.e.
  (L + lam E) R = lam Y, by conjugate gradients on the three channels at once;
* ``laplacian``: Luan et al. (2017, Deep Photo Style Transfer)'s regulariser inside the optimisation:
  sum_c V_c^T L V_c / N added to the loss, its gradient 2 L V_c / N a sparse product (``Regulariser``).

Pure numpy and scipy; no TensorFlow.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.lib.stride_tricks import sliding_window_view

# Levin et al.'s epsilon for colours in 0..1: small enough that a window's fit follows its colours
# closely, large enough that a flat window (zero covariance) stays well posed.
EPSILON = 1e-7
WINDOW = 3  # px: a 3x3 window, as in both papers
# Where the conjugate gradients stop: the residual's norm at this fraction of the right-hand side's.
# Below a level's worth of change per pixel (1e-3 of 0..1) the picture no longer changes visibly.
CG_TOLERANCE = 1e-3
CG_MAX_STEPS = 400


def matting_laplacian(photo: np.ndarray, eps: float = EPSILON, band: int = 64) -> sp.csr_matrix:
    """uint8 (or 0..255 float) [H, W, 3] -> Levin et al.'s matting Laplacian, float64 CSR, N x N
    (N = H * W, pixels in row-major order). Built once per photo and size: about 25 non-zeros a row,
    ``band`` rows of windows at a time (a whole 1024 px picture's 81 entries a window at once took
    over a gigabyte)."""
    h, w = photo.shape[:2]
    n = h * w
    if h < WINDOW or w < WINDOW:
        return sp.csr_matrix((n, n))
    img = photo.astype(np.float64) / 255.0
    index = np.arange(n, dtype=np.int32).reshape(h, w)
    affinity = sp.csr_matrix((n, n))
    for top in range(0, h - WINDOW + 1, band):
        rows = slice(top, min(h, top + band + WINDOW - 1))
        affinity = affinity + _window_affinities(img[rows], index[rows], eps, n)
    # each window's rows of affinities sum to 1 (the deviations sum to 0), so the degree is the count
    # of windows holding a pixel and L = D - A
    return (sp.diags(np.asarray(affinity.sum(axis=1)).ravel()) - affinity).tocsr()


def _window_affinities(img: np.ndarray, index: np.ndarray, eps: float, n: int) -> sp.csr_matrix:
    """The summed affinities (1 + (I_i - mu)^T (S + eps/9 E)^-1 (I_j - mu)) / 9 of every 3x3 window
    lying wholly inside this band of rows, as an N x N matrix."""
    size = WINDOW * WINDOW
    patches = sliding_window_view(img, (WINDOW, WINDOW), axis=(0, 1)).reshape(-1, 3, size).transpose(0, 2, 1)
    where = sliding_window_view(index, (WINDOW, WINDOW)).reshape(-1, size)  # [K, 9] pixel numbers
    dev = patches - patches.mean(axis=1, keepdims=True)  # [K, 9, 3]
    cov = np.einsum("kic,kid->kcd", dev, dev) / size + (eps / size) * np.eye(3)
    values = (1.0 + np.einsum("kic,kcd,kjd->kij", dev, np.linalg.inv(cov), dev, optimize=True)) / size
    rows = np.repeat(where, size, axis=1).ravel()
    cols = np.tile(where, (1, size)).ravel()
    return sp.csr_matrix((values.ravel(), (rows, cols)), shape=(n, n))


def laplacian_energy(laplacian: sp.csr_matrix, image: np.ndarray) -> float:
    """sum over the channels of v^T L v / N for ``image`` [H, W, 3] in 0..255: how far it is from a
    locally affine function of the photo's colours (0 for the photo itself, up to eps)."""
    v = image.reshape(-1, 3).astype(np.float64) / 255.0
    return float(np.einsum("nc,nc->", v, laplacian @ v) / v.shape[0])


def smooth(laplacian: sp.csr_matrix, stylised: np.ndarray, strength: float) -> np.ndarray:
    """Photorealistic smoothing: the picture R nearest ``stylised`` (float or uint8 [H, W, 3], 0..255)
    that is locally an affine function of the photo's colours, (L + lam E) R = lam Y with lam =
    1 / ``strength``. Larger strength: flatter, more like the photo's own shading. Returns float32 0..255."""
    h, w = stylised.shape[:2]
    y = stylised.reshape(-1, 3).astype(np.float64) / 255.0
    lam = 1.0 / strength
    system = laplacian + lam * sp.eye(h * w, format="csr")
    r = _conjugate_gradients(system, lam * y, y)
    return np.clip(r * 255.0, 0, 255).astype(np.float32).reshape(h, w, 3)


def _conjugate_gradients(a: sp.csr_matrix, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Jacobi-preconditioned conjugate gradients for A X = B, the columns of B at once (one sparse
    product a step for all three channels), from X = ``x``."""
    inv_diag = 1.0 / a.diagonal()[:, None]
    r = b - a @ x
    z = inv_diag * r
    p = z.copy()
    rz = np.einsum("nc,nc->c", r, z)
    stop = CG_TOLERANCE * np.linalg.norm(b, axis=0)
    for _ in range(CG_MAX_STEPS):
        if np.all(np.linalg.norm(r, axis=0) <= stop):
            break
        ap = a @ p
        alpha = rz / np.maximum(np.einsum("nc,nc->c", p, ap), 1e-300)
        x = x + alpha * p
        r = r - alpha * ap
        z = inv_diag * r
        rz_new = np.einsum("nc,nc->c", r, z)
        p = z + (rz_new / np.maximum(rz, 1e-300)) * p
        rz = rz_new
    return x


class Regulariser:
    """Luan et al.'s photorealism term for one photo at one size: ``weight`` * sum_c V_c^T L V_c / N
    for a picture V in 0..1, and its gradient with respect to the pixels in 0..255."""

    def __init__(self, laplacian: sp.csr_matrix, weight: float):
        self.laplacian, self.weight = laplacian, weight

    def __call__(self, pixels: np.ndarray) -> tuple[float, np.ndarray]:
        v = pixels.reshape(-1, 3).astype(np.float64) / 255.0
        lv = self.laplacian @ v
        n = v.shape[0]
        value = self.weight * float(np.einsum("nc,nc->", v, lv)) / n
        grad = (2.0 * self.weight / (n * 255.0)) * lv
        return value, grad.astype(np.float32).reshape(pixels.shape)
