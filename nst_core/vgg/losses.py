"""Loss functions: content, Gram style, total variation. Small pure functions; sizes come from the tensors.

Three scalings, chosen by ``Settings.normalization``:

* ``balanced`` (default) divides each term by its target's energy: content = ||F - P||^2 / ||P||^2
  and style per layer = ||G - A||^2 / ||A||^2 (per-pixel Grams). With VGG19's raw activations the
  plain terms differ by four orders of magnitude between layers (block4_conv1 was 99 % of the style
  loss at Tuebingen x The Scream), so the colours and fine strokes of blocks 1-2 had no weight; here
  each layer is a relative error, 1 where the result's Gram is 0, so no layer dominates by
  construction and the per-layer weights mean what they say.
* ``mean`` (the literal Gatys form) makes every term independent of the image's size, so one set of weights gives
  the same balance at 256 px and at 1024 px:
  content = mean over H*W*C of (F - P)^2;
  style per layer = mean over C*C of (G - A)^2 / 4 with G = F^T F / (H*W), which is exactly Gatys
  et al.'s E_l = sum (G_raw - A_raw)^2 / (4 N^2 M^2) written with a per-pixel Gram;
  tv = mean over pixels and channels of (dx^2 + dy^2)^power on pixels scaled to [0, 1].
* ``keras-io`` reproduces the keras.io example's objective to the letter (sums, its Gram and its
  ``4 * 3^2 * (rows*cols)^2`` divisor, TV power 1.25 on the preprocessed image) for comparisons.
"""
from __future__ import annotations

from ..tf_quiet import import_tensorflow

tf = import_tensorflow()


def _f32(t: tf.Tensor) -> tf.Tensor:
    return tf.cast(t, tf.float32)


def gram(features: tf.Tensor) -> tf.Tensor:
    """[H, W, C] -> [C, C] float32, normalised by the number of positions H*W (a per-pixel average).
    bfloat16 features (``conv="direct-bf16"``) give the same float32 Gram (a product of two bf16
    numbers is exact in float32), with its gradient computed in bf16 (:func:`_bf16_gram`)."""
    f = tf.reshape(features, (-1, tf.shape(features)[-1]))
    n = tf.cast(tf.shape(f)[0], tf.float32)
    return (tf.matmul(f, f, transpose_a=True) if f.dtype == tf.float32 else _bf16_gram(f)) / n


def _bf16_gram(f: tf.Tensor, w: tf.Tensor | None = None) -> tf.Tensor:
    """[N, C] bfloat16 (and weights [N, 1]) -> F^T diag(w) F in float32. Its gradient diag(w) F (dG + dG^T)
    goes back into a bf16 network, where it is rounded to bf16 anyway: computed in bf16 (oneDNN sums
    in float32) it costs a sixth of the float32 matmul's time on AMX and differs by that rounding only."""

    @tf.custom_gradient
    def gram_(f):
        f32 = _f32(f)

        def grad(dg):
            df = tf.matmul(f, tf.cast(dg + tf.transpose(dg), f.dtype))
            return df if w is None else df * tf.cast(w, f.dtype)

        return tf.matmul(f32, f32 if w is None else f32 * w, transpose_a=True), grad

    return gram_(f)


def masked_gram(features: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """[H, W, C] features and [H, W] weights in 0..1 -> [C, C] = F^T diag(m) F / sum(m): the Gram of
    the region only (Gatys et al. 2017). An all-ones mask gives :func:`gram`; an empty one gives 0."""
    f = tf.reshape(features, (-1, tf.shape(features)[-1]))
    m = tf.reshape(mask, (-1, 1))
    g = tf.matmul(f, f * m, transpose_a=True) if f.dtype == tf.float32 else _bf16_gram(f, m)
    return g / (tf.reduce_sum(m) + 1e-8)


def weighted_gram_sum(features: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """[H, W, C] features and [H, W] weights -> [C, C] = F^T diag(w) F, not normalised: one tile's
    share of a picture's Gram, summed over tiles and divided by the summed weights (nst_core.tiles.tiled)."""
    f = tf.reshape(features, (-1, tf.shape(features)[-1]))
    w = tf.reshape(weights, (-1, 1))
    return tf.matmul(f, f * w, transpose_a=True) if f.dtype == tf.float32 else _bf16_gram(f, w)


def weighted_square_error(features: tf.Tensor, target: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """[H, W, C] feature maps and [H, W] weights -> sum_p w_p ||F_p - P_p||^2 (a tile's share)."""
    return tf.reduce_sum(tf.reduce_sum(tf.square(_f32(features) - target), axis=-1) * weights)


def tv_sum(image: tf.Tensor, power: tf.Tensor | float, weights: tf.Tensor) -> tf.Tensor:
    """[H, W, 3] in [0, 1] and [H, W] weights -> sum of w (dx^2 + dy^2)^power over the (H-1) x (W-1)
    grid: :func:`tv_loss`'s numerator, for a tile."""
    dy = image[1:, :-1, :] - image[:-1, :-1, :]
    dx = image[:-1, 1:, :] - image[:-1, :-1, :]
    return tf.reduce_sum(tf.pow(tf.square(dx) + tf.square(dy), power) * weights[:-1, :-1, None])


def layer_mask(masks: tf.Tensor, features: tf.Tensor) -> tf.Tensor:
    """[H, W, R] image-sized masks -> [h, w, R] at the [h, w, C] layer's size, by area averaging
    (each layer position weighs its share of the region)."""
    return tf.image.resize(masks[None], tf.shape(features)[:2], method="area")[0]


def content_loss(features: tf.Tensor, target: tf.Tensor, where: tf.Tensor | None = None) -> tf.Tensor:
    """Mean squared error between [H, W, C] feature maps, each position weighed by ``where`` [H, W] if given."""
    if where is None:
        return tf.reduce_mean(tf.square(_f32(features) - target))
    return tf.reduce_mean(tf.square(_f32(features) - target) * where[..., None])


def style_loss(gram_x: tf.Tensor, gram_target: tf.Tensor) -> tf.Tensor:
    """[C, C] Grams (per-pixel normalised) -> Gatys' E_l: mean squared difference / 4."""
    return tf.reduce_mean(tf.square(gram_x - gram_target)) / 4.0


def balanced_content_loss(features: tf.Tensor, target: tf.Tensor, where: tf.Tensor | None = None) -> tf.Tensor:
    """[H, W, C] feature maps -> ||F - P||^2 / ||P||^2 (0 at the photo, 1 where F is 0); with ``where``
    [H, W], each position's error weighed by it (the norm is the photo's own, unweighed)."""
    error = tf.square(_f32(features) - target)
    if where is not None:
        error = error * where[..., None]
    return tf.reduce_sum(error) / (tf.reduce_sum(tf.square(target)) + 1e-8)


def balanced_style_loss(gram_x: tf.Tensor, gram_target: tf.Tensor) -> tf.Tensor:
    """[C, C] Grams -> ||G - A||^2 / ||A||^2: the layer's relative Gram error squared."""
    return tf.reduce_sum(tf.square(gram_x - gram_target)) / (tf.reduce_sum(tf.square(gram_target)) + 1e-8)


def tv_loss(image: tf.Tensor, power: tf.Tensor | float = 1.0, where: tf.Tensor | None = None) -> tf.Tensor:
    """[H, W, 3] in [0, 1] -> mean of (dx^2 + dy^2)^power over the (H-1) x (W-1) grid, each position
    weighed by ``where`` [H, W] in 0..1 if given (a mask: the photo's own edges are not smoothed)."""
    dy = image[1:, :-1, :] - image[:-1, :-1, :]
    dx = image[:-1, 1:, :] - image[:-1, :-1, :]
    tv = tf.pow(tf.square(dx) + tf.square(dy), power)
    return tf.reduce_mean(tv if where is None else tv * where[:-1, :-1, None])


def kio_gram(features: tf.Tensor) -> tf.Tensor:
    """keras.io's Gram: [H, W, C] -> [C, C] = F^T F, unnormalised."""
    f = tf.reshape(features, (-1, tf.shape(features)[-1]))
    return tf.matmul(f, f, transpose_a=True) if f.dtype == tf.float32 else _bf16_gram(f)


def kio_content_loss(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """keras.io: sum of squared differences."""
    return tf.reduce_sum(tf.square(_f32(features) - target))


def kio_style_loss(gram_x: tf.Tensor, gram_target: tf.Tensor, pixels: tf.Tensor) -> tf.Tensor:
    """keras.io: sum (S - C)^2 / (4 * 3^2 * pixels^2), pixels = rows * cols of the *image*."""
    return tf.reduce_sum(tf.square(gram_x - gram_target)) / (4.0 * 9.0 * tf.square(pixels))


def kio_tv_loss(preprocessed: tf.Tensor, power: tf.Tensor | float = 1.25) -> tf.Tensor:
    """keras.io: sum of (a + b)^1.25 over the preprocessed (BGR, mean-subtracted) [H, W, 3] image."""
    a = tf.square(preprocessed[:-1, :-1, :] - preprocessed[1:, :-1, :])
    b = tf.square(preprocessed[:-1, :-1, :] - preprocessed[:-1, 1:, :])
    return tf.reduce_sum(tf.pow(a + b, power))
