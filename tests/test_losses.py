"""Each loss against a case with a known answer, and the size-independence users rely on."""
import numpy as np
import pytest

from nst_core.vgg import losses
from nst_core.vgg.features import tf


def test_gram_of_known_tensor():
    # two positions, two channels: F = [[1, 2], [3, 4]] -> F^T F = [[10, 14], [14, 20]], / 2 positions
    f = tf.constant([[[1.0, 2.0], [3.0, 4.0]]])  # [H=1, W=2, C=2]
    np.testing.assert_allclose(losses.gram(f).numpy(), [[5.0, 7.0], [7.0, 10.0]])
    np.testing.assert_allclose(losses.kio_gram(f).numpy(), [[10.0, 14.0], [14.0, 20.0]])


def test_gram_is_the_same_for_a_pattern_at_any_size():
    rng = np.random.default_rng(1)
    tile = rng.normal(size=(8, 8, 16)).astype(np.float32)
    big = np.tile(tile, (4, 4, 1))  # 32 x 32, same statistics, 16x the positions
    np.testing.assert_allclose(losses.gram(tf.constant(tile)).numpy(),
                               losses.gram(tf.constant(big)).numpy(), rtol=1e-5, atol=1e-6)


def test_content_loss_is_mean_squared_error():
    a, b = tf.zeros((2, 3, 4)), tf.fill((2, 3, 4), 2.0)
    assert losses.content_loss(a, b).numpy() == pytest.approx(4.0)
    assert losses.kio_content_loss(a, b).numpy() == pytest.approx(4.0 * 24)


def test_style_loss_is_gatys_el():
    g, a = tf.constant([[1.0, 0.0], [0.0, 1.0]]), tf.constant([[3.0, 0.0], [0.0, 1.0]])
    assert losses.style_loss(g, a).numpy() == pytest.approx((4.0 / 4) / 4)  # mean of [4,0,0,0] / 4
    # keras.io divides by 4 * 3^2 * pixels^2
    assert losses.kio_style_loss(g, a, tf.constant(10.0)).numpy() == pytest.approx(4.0 / (36 * 100))


def test_tv_of_constant_image_is_zero_and_of_a_ramp_is_known():
    assert losses.tv_loss(tf.fill((5, 6, 3), 0.3)).numpy() == 0.0
    ramp = tf.constant(np.tile(np.arange(6, dtype=np.float32)[None, :, None] * 0.1, (5, 1, 3)))
    assert losses.tv_loss(ramp).numpy() == pytest.approx(0.01)  # dx = 0.1, dy = 0
    assert losses.tv_loss(ramp, 1.25).numpy() == pytest.approx(0.01 ** 1.25, rel=1e-5)
    assert losses.kio_tv_loss(ramp, 1.25).numpy() == pytest.approx(4 * 5 * 3 * 0.01 ** 1.25, rel=1e-5)


def test_losses_do_not_grow_with_image_size():
    """Mean normalisation: the same picture at 2x the pixels scores about the same."""
    rng = np.random.default_rng(2)
    small = rng.uniform(size=(16, 16, 8)).astype(np.float32)
    big = np.repeat(np.repeat(small, 2, 0), 2, 1)
    zero = np.zeros_like
    assert losses.content_loss(tf.constant(big), tf.constant(zero(big))).numpy() == pytest.approx(
        losses.content_loss(tf.constant(small), tf.constant(zero(small))).numpy(), rel=1e-5)
