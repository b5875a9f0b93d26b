"""Colour preservation (Gatys et al. 2016, 'Preserving colour in neural artistic style transfer').

Pure numpy on uint8 H x W x 3 RGB images:
* luminance transfer: keep the result's luma (Y) and the content's chroma (Cb, Cr), BT.601;
* colour matching: an affine map that gives the style image the content's RGB mean and covariance.
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
