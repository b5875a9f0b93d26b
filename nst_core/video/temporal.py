"""Ruder et al.'s (2016) temporal loss: a frame pulled to the previous result warped along the flow. Pure numpy."""
from __future__ import annotations

import numpy as np

LEVELS = 255.0  # pixels are 0..255; the loss measures them in 0..1, so its weight does not depend on the scale


def temporal_loss(pixels: np.ndarray, warped_prev: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """(value, gradient with respect to ``pixels``) of Ruder et al.'s eq. 5:

        L = 1/D * sum_k c_k * ((x_k - w_k) / 255)^2,  D = H * W * 3

    ``pixels`` x and ``warped_prev`` w are float [H, W, 3] in 0..255, ``mask`` c is [H, W] in 0..1
    (1 where the flow is reliable, from the forward-backward check). D counts every value, masked or
    not, as in the paper, so a frame with much disocclusion is pulled less in all. float32 gradient."""
    x = np.asarray(pixels, np.float32)
    c = np.asarray(mask, np.float32)[..., None]
    diff = (x - np.asarray(warped_prev, np.float32)) / LEVELS
    d = x.size
    value = float(np.sum(c * diff * diff, dtype=np.float64) / d)
    return value, (2.0 / (d * LEVELS)) * c * diff


class WithTemporal:
    """An Objective (nst_core.vgg.objective) plus ``weight`` x the temporal loss towards ``warped_prev``
    where ``mask`` holds: called as the Objective is, so the optimisation loop (optim.steps) runs it unchanged.
    ``warped_prev`` None (a clip's first frame) adds nothing."""

    def __init__(self, objective, warped_prev: np.ndarray | None, mask: np.ndarray | None, weight: float):
        self.objective, self.warped_prev, self.mask, self.weight = objective, warped_prev, mask, weight

    def __call__(self, pixels: np.ndarray, targets, weights, layer_w, tv_power: float):
        total, parts, grad = self.objective(pixels, targets, weights, layer_w, tv_power)
        if self.warped_prev is None or self.weight == 0:
            return total, {**parts, "temporal": 0.0}, grad
        value, g = temporal_loss(pixels, self.warped_prev, self.mask)
        return total + self.weight * value, {**parts, "temporal": self.weight * value}, grad + self.weight * g
