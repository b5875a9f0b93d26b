"""How long a run at the defaults takes, against the plain float32 step the issue budgets by.

The budget: at most 80 plain steps at 512x384, a plain step being a compiled Keras VGG19 (zero
padding, oneDNN's convolutions) to block5_conv2 with Gram and content losses, forward and backward,
in one tf.function. Both are timed in this one run (medians), and the default run's frames give the
first preview's time.
"""
from __future__ import annotations

import statistics
import time

from common import CONTENT, STYLE, emit, machine, median_time, require_images


def plain_step_seconds(shape=(384, 512), build_only: bool = False, policy: str = "float32"):
    """Median seconds of the plain step at ``shape``, or (``build_only``) the step itself to time.
    ``policy="mixed_bfloat16"``: the same VGG19 under Keras' mixed precision (bf16 layers, float32
    weights, Grams and losses in float32 from the layers' bf16 outputs)."""
    import keras

    from nst_core.vgg.features import tf
    from nst_core.vgg.losses import content_loss, gram, style_loss
    from nst_core.vgg.weights import CONV_LAYERS, load_weights

    keras.mixed_precision.set_global_policy(policy)
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    weights = load_weights("embedded")
    for name in CONV_LAYERS:
        vgg.get_layer(name).set_weights(list(weights[name]))
    names = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1", "block5_conv2")
    model = tf.keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
    x = tf.Variable(tf.random.uniform((1, *shape, 3), -100, 100))
    feats = [tf.cast(f, tf.float32) for f in model(x)]
    grams, content = [gram(f[0]) for f in feats[:5]], feats[5][0]

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            f = [tf.cast(a, tf.float32) for a in model(x)]
            loss = content_loss(f[5][0], content) + tf.add_n([style_loss(gram(a[0]), g) for a, g in zip(f, grams)])
        return tape.gradient(loss, x)

    run = lambda: step().numpy()  # noqa: E731
    return run if build_only else median_time(run, repeats=5, warmup=2)


def main() -> None:
    require_images()
    from nst_core import Settings, load_image, stylize, warm_up

    emit(kind="machine", **machine())
    s = Settings()
    warm_up(s)
    c, st = load_image(CONTENT), load_image(STYLE)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        frames = [(time.perf_counter() - t, f) for f in stylize(c, st, s)]
        runs.append((time.perf_counter() - t, frames[0][0], frames[-1][1].image.shape))
    plain = plain_step_seconds()
    total = statistics.median(r[0] for r in runs)
    emit(kind="default_run", seconds=[round(r[0], 1) for r in runs], median_s=round(total, 1),
         first_frame_s=[round(r[1], 2) for r in runs], output=list(runs[0][2][:2]),
         plain_step_512x384_s=round(plain, 3), budget_80_plain_steps_s=round(80 * plain, 1),
         in_plain_steps=round(total / plain, 1))


if __name__ == "__main__":
    main()
