"""Where VGG19's numbers come from: the embedded 8-bit file, a Keras notop .h5, or Keras' download.

Every source is read into the same plain form, ``{layer_name: (kernel, bias)}`` with kernels
H x W x C_in x C_out float32 (Keras layout, Caffe's BGR / mean-subtracted input convention), so the
feature extractor never needs to know where the numbers came from. No TensorFlow import here except
for the ``imagenet`` source, which needs Keras to download.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import WeightsError
from ..settings import CONV_LAYERS  # noqa: F401  (public here too: the layers loaded)

EMBEDDED_PATH = Path(__file__).parent.parent / "data" / "vgg19_q8.npz"  # nst_core/data
WeightDict = dict[str, tuple[np.ndarray, np.ndarray]]

_FIX = ("pass weights='embedded' (shipped in the repository), a path to a Keras VGG19 notop .h5 "
        "(e.g. ../shared/weights/vgg19_notop.h5), or 'imagenet' when online")


def quantize_layer(kernel: np.ndarray, levels: int = 256, iters: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Return (table float32[levels], index uint8[kernel.shape]) with table[index] ~= kernel.

    Lossless when the kernel already holds <= ``levels`` distinct values (as the shared .h5 does);
    otherwise a 1-D k-means (Lloyd) started at the value quantiles.
    """
    flat = kernel.astype(np.float32).ravel()
    uniq = np.unique(flat)
    if uniq.size <= levels:
        table = np.pad(uniq, (0, levels - uniq.size), mode="edge")
        return table, np.searchsorted(uniq, flat).astype(np.uint8).reshape(kernel.shape)
    table = np.quantile(flat, (np.arange(levels) + 0.5) / levels).astype(np.float32)
    for _ in range(iters):
        edges = (table[1:] + table[:-1]) / 2
        idx = np.searchsorted(edges, flat)
        sums = np.bincount(idx, weights=flat, minlength=levels)
        counts = np.bincount(idx, minlength=levels)
        table = np.where(counts > 0, sums / np.maximum(counts, 1), table).astype(np.float32)
        table.sort()
    idx = np.searchsorted((table[1:] + table[:-1]) / 2, flat)
    return table, idx.astype(np.uint8).reshape(kernel.shape)


def save_quantized(weights: WeightDict, path: str | os.PathLike) -> None:
    """Write the 8-bit form: per layer a 256-entry table, uint8 indices and the float32 bias."""
    arrays = {}
    for name in CONV_LAYERS:
        kernel, bias = weights[name]
        table, index = quantize_layer(kernel)
        arrays[f"{name}.table"], arrays[f"{name}.index"] = table, index
        arrays[f"{name}.bias"] = bias.astype(np.float32)
    np.savez_compressed(path, **arrays)


def load_quantized(path: str | os.PathLike = EMBEDDED_PATH) -> WeightDict:
    """Dequantise the 8-bit file written by :func:`save_quantized`."""
    try:
        with np.load(path) as z:
            return {n: (z[f"{n}.table"][z[f"{n}.index"]], z[f"{n}.bias"]) for n in CONV_LAYERS}
    except FileNotFoundError:
        raise WeightsError(f"embedded VGG19 weights not found at {path}: restore the file from the "
                           f"repository (git checkout -- {path}) or {_FIX}") from None
    except Exception as exc:  # zipfile/pickle/key errors all mean the same thing to a user
        raise WeightsError(f"embedded VGG19 weights at {path} are unreadable ({exc.__class__.__name__}): "
                           f"restore the file from the repository or {_FIX}") from None


def load_h5(path: str | os.PathLike) -> WeightDict:
    """Read a Keras VGG19 notop .h5 (legacy layout: one group per layer, kernel then bias)."""
    import h5py

    if not Path(path).is_file():
        raise WeightsError(f"VGG19 weights file not found: {path}; {_FIX}")
    try:
        with h5py.File(path, "r") as f:
            out = {}
            for name in CONV_LAYERS:
                group = f[name]
                keys = [k.decode() if isinstance(k, bytes) else k for k in group.attrs["weight_names"]]
                kernel, bias = (np.asarray(group[k], dtype=np.float32) for k in keys)
                if kernel.ndim != 4 or bias.shape != kernel.shape[-1:]:
                    raise ValueError(f"{name} has shapes {kernel.shape} / {bias.shape}")
                out[name] = (kernel, bias)
            return out
    except Exception as exc:
        raise WeightsError(f"{path} is not a Keras VGG19 notop .h5 ({exc}); {_FIX}") from None


def load_imagenet() -> WeightDict:
    """Keras' own download (needs internet the first time; cached in ~/.keras/models)."""
    try:
        from keras.applications import VGG19

        model = VGG19(include_top=False, weights="imagenet")
    except Exception as exc:
        raise WeightsError(f"could not download Keras' VGG19 weights ({exc.__class__.__name__}); "
                           f"{_FIX}") from None
    return {n: tuple(np.asarray(w) for w in model.get_layer(n).get_weights()) for n in CONV_LAYERS}


def load_weights(source: str = "embedded") -> WeightDict:
    """Resolve a ``Settings.weights`` value to the 16 layers' float32 arrays."""
    if source == "embedded":
        return load_quantized(EMBEDDED_PATH)
    if source == "imagenet":
        return load_imagenet()
    if str(source).endswith(".npz"):
        return load_quantized(source)
    return load_h5(source)
