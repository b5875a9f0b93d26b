"""3x3 'SAME' convolutions by Winograd's minimal filtering, F(4x4, 3x3) (Lavin and Gray, 2015).

Why: on CPUs without AVX-512 oneDNN has no Winograd kernels, and its direct 3x3 convolutions
reach about half of the matmul rate here. F(4x4, 3x3) computes each 4x4 output tile from a 6x6
input tile with 36 multiplies per (C_in, C_out) pair instead of 144, as 36 large matmuls. The
transforms run as a stride-4 convolution (tiles in), two small matmuls and a transpose (tiles out).
VGG19's blocks 2-5 run 2-2.6x faster per layer; results match the direct convolution to about
1e-5 of the output's scale in float32.

Layout is channel-major, ``[C, H, W]``: the batched matmul then needs no transpose of the
activations, and the tile transform treats each channel as one image of a batch.
"""
from __future__ import annotations

import functools

import numpy as np

from ..tf_quiet import import_tensorflow

tf = import_tensorflow()

M, N = 4, 6  # output tile 4x4, input tile 6x6
_BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
_G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
_AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], np.float64)


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """[3, 3, C_in, C_out] (Keras layout) -> [36, C_out, C_in] float32: G g G^T per channel pair.
    Computed in the output's layout (two matmuls over the kernel with its channel axes swapped), with
    no transpose of the 4x larger result: a VGG19 stack's kernels in a fraction of a second, not
    seconds, for ``conv="auto"``'s timing (docs/how-it-works.md, Convolutions picked per machine)."""
    g = _G.astype(np.float32)
    k = np.ascontiguousarray(np.asarray(kernel, np.float32).transpose(0, 1, 3, 2))  # [3 (i), 3 (j), C_out, C_in]
    c_out, c_in = k.shape[2:]
    rows = (g @ k.reshape(3, -1)).reshape(N, 3, c_out * c_in)  # sum over i: [6 (a), 3 (j), C_out * C_in]
    return (g @ rows).reshape(N * N, c_out, c_in)  # sum over j, for each a: [6 (a) x 6 (b), C_out, C_in]


class _Transforms:
    """The fixed transform tensors, made once (after TensorFlow is up)."""

    def __init__(self):
        # Tile-in filters [6, 6, 1, 36]: conv with a 6x6 tile gives B^T d B, flattened row-major.
        self.tiles_in = tf.constant(np.kron(_BT, _BT).T.reshape(N, N, 1, N * N), tf.float32)
        self.tiles_out = tf.constant(np.kron(_AT, _AT), tf.float32)  # [16, 36]: A^T m A, flattened


@functools.cache
def _transforms() -> _Transforms:
    with tf.init_scope():  # first use is often while tracing: make eager constants, not graph ones
        return _Transforms()


def _conv(x: tf.Tensor, u: tf.Tensor, transpose: bool = False) -> tf.Tensor:
    """x [C, H, W], u [36, C_out, C] (or [36, C, C_out] with ``transpose``) -> [C_out, H, W]."""
    t = _transforms()
    c, h, w = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    th, tw = (h + M - 1) // M, (w + M - 1) // M
    # 1 pixel of SAME padding, plus enough at the bottom/right to make whole tiles (cropped at the end)
    p = tf.pad(x, [[0, 0], [1, 1 + th * M - h], [1, 1 + tw * M - w]])
    v = tf.nn.conv2d(p[..., None], t.tiles_in, M, "VALID")              # [C, th, tw, 36]
    v = tf.transpose(tf.reshape(v, (c, -1, N * N)), (2, 0, 1))           # [36, C, T]
    m = tf.cast(tf.matmul(u, tf.cast(v, u.dtype), transpose_a=transpose), tf.float32)  # [36, C_out, T]
    co = tf.shape(m)[1]
    y = tf.matmul(t.tiles_out, tf.reshape(m, (N * N, -1)))               # [16, C_out * T]
    y = tf.transpose(tf.reshape(y, (M, M, co, th, tw)), (2, 3, 0, 4, 1))  # [C_out, th, 4, tw, 4]
    return tf.reshape(y, (co, th * M, tw * M))[:, :h, :w]


def conv3x3(kernel: np.ndarray, dtype=None):
    """A function [C_in, H, W] -> [C_out, H, W] equal to a stride-1 'SAME' 3x3 convolution.

    With ``dtype=tf.bfloat16`` the 36 large matmuls (nearly all the work) run in bfloat16, the tile
    transforms in float32: their coefficients (up to 8 and 1/24) would lose too much in 8 bits.

    Its gradient is the same algorithm again: correlating with the flipped, channel-transposed
    kernel equals flipping the image, using the transposed transformed kernel, and flipping back,
    so one transformed kernel (36 / 9 = 4x the kernel's memory) serves both directions.
    """
    with tf.init_scope():
        u = tf.cast(transform_kernel(kernel), dtype or tf.float32)

    @tf.custom_gradient
    def conv(x):
        def grad(dy):
            return tf.reverse(_conv(tf.reverse(dy, [1, 2]), u, transpose=True), [1, 2])
        return _conv(x, u), grad

    return conv
