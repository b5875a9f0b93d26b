"""Winograd F(4x4, 3x3) convolutions: the same numbers as TensorFlow's own convolution, both ways.

If these broke, every result would drift from what the losses describe; the sizes cover odd ones
(partial tiles) and images smaller than a tile.
"""
import numpy as np
import pytest

from nst_core.vgg.features import tf
from nst_core.vgg.winograd import conv3x3


@pytest.mark.parametrize("h, w, c_in, c_out", [(8, 8, 4, 6), (7, 13, 5, 3), (1, 1, 2, 2), (2, 9, 3, 8), (21, 6, 16, 16)])
def test_winograd_conv_and_its_gradient_equal_the_direct_convolution(h, w, c_in, c_out):
    rng = np.random.default_rng(h * 100 + w)
    x = tf.constant(rng.normal(0, 1, (h, w, c_in)), tf.float32)
    kernel = rng.normal(0, 0.2, (3, 3, c_in, c_out)).astype(np.float32)
    probe = tf.constant(rng.normal(0, 1, (h, w, c_out)), tf.float32)  # a loss with a non-uniform gradient
    conv = conv3x3(kernel)

    def run(fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            loss = tf.reduce_sum(y * probe)
        return y.numpy(), tape.gradient(loss, x).numpy()

    y_ref, g_ref = run(lambda x: tf.nn.conv2d(x[None], kernel, 1, "SAME")[0])
    y, g = run(lambda x: tf.transpose(conv(tf.transpose(x, (2, 0, 1))), (1, 2, 0)))
    assert y.shape == y_ref.shape and g.shape == g_ref.shape
    np.testing.assert_allclose(y, y_ref, atol=2e-5 * np.abs(y_ref).max())
    np.testing.assert_allclose(g, g_ref, atol=2e-5 * np.abs(g_ref).max())
