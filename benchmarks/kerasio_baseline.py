"""A faithful re-implementation of the keras.io neural style transfer example's loop, as a baseline.

Same algorithm as https://keras.io/examples/generative/neural_style_transfer/ : the content, style
and combination images go through the whole VGG19 as one 3-image batch every step; its losses
(content block5_conv2, style block1..5_conv1 with its Gram normalisation, TV power 1.25), weights
2.5e-8 / 1e-6 / 1e-6, and Keras' SGD with ExponentialDecay(100, 100 steps, 0.96). Its VGG19 carries
our embedded weights, since Keras' download is not reachable here (they are the same numbers).
"""
from __future__ import annotations

import numpy as np

from nst_core.vgg.features import CAFFE_MEAN_BGR, keras_vgg19, tf

CONTENT_LAYER = "block5_conv2"
STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 2.5e-8, 1e-6, 1e-6


def preprocess(rgb_uint8: np.ndarray) -> tf.Tensor:
    """keras.applications.vgg19.preprocess_input ('caffe'): RGB -> BGR, minus the mean; [1, H, W, 3]."""
    return tf.constant((rgb_uint8[..., ::-1].astype(np.float32) - np.array(CAFFE_MEAN_BGR, np.float32))[None])


def deprocess(x: np.ndarray) -> np.ndarray:
    """The example's deprocess_image: add the mean, BGR -> RGB, clip to 0..255, uint8."""
    x = x.reshape(x.shape[-3:]) + np.array(CAFFE_MEAN_BGR, np.float32)
    return np.clip(x[..., ::-1], 0, 255).astype("uint8")


def make_loss(rows: int, cols: int):
    vgg = keras_vgg19("embedded")
    import keras

    extractor = keras.Model(vgg.inputs, {layer.name: layer.output for layer in vgg.layers})

    def gram_matrix(x):
        x = tf.transpose(x, (2, 0, 1))
        features = tf.reshape(x, (tf.shape(x)[0], -1))
        return tf.matmul(features, tf.transpose(features))

    def style_loss(style, combination):
        s, c = gram_matrix(style), gram_matrix(combination)
        size = rows * cols
        return tf.reduce_sum(tf.square(s - c)) / (4.0 * (3 ** 2) * (size ** 2))

    def content_loss(base, combination):
        return tf.reduce_sum(tf.square(combination - base))

    def total_variation_loss(x):
        a = tf.square(x[:, : rows - 1, : cols - 1, :] - x[:, 1:, : cols - 1, :])
        b = tf.square(x[:, : rows - 1, : cols - 1, :] - x[:, : rows - 1, 1:, :])
        return tf.reduce_sum(tf.pow(a + b, 1.25))

    def compute_loss(combination, base, style):
        features = extractor(tf.concat([base, style, combination], axis=0))
        loss = tf.zeros(shape=())
        f = features[CONTENT_LAYER]
        loss = loss + CONTENT_WEIGHT * content_loss(f[0], f[2])
        for name in STYLE_LAYERS:
            f = features[name]
            loss += (STYLE_WEIGHT / len(STYLE_LAYERS)) * style_loss(f[1], f[2])
        return loss + TV_WEIGHT * total_variation_loss(combination)

    @tf.function
    def loss_and_grads(combination, base, style):
        with tf.GradientTape() as tape:
            loss = compute_loss(combination, base, style)
        return loss, tape.gradient(loss, combination)

    return compute_loss, loss_and_grads


def run(content: np.ndarray, style: np.ndarray, iterations: int):
    """Yield (iteration, logged loss, seconds for that step, combination variable) like the example."""
    import time

    import keras

    rows, cols = content.shape[:2]
    _, loss_and_grads = make_loss(rows, cols)
    base, style_t = preprocess(content), preprocess(style)
    combination = tf.Variable(preprocess(content))
    optimizer = keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=100.0, decay_steps=100, decay_rate=0.96))
    for i in range(1, iterations + 1):
        t = time.perf_counter()
        loss, grads = loss_and_grads(combination, base, style_t)
        optimizer.apply_gradients([(grads, combination)])
        yield i, float(loss), time.perf_counter() - t, combination
