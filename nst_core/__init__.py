"""nst_core: neural style transfer (Gatys et al. 2015) over VGG19, as a generator of frames.

    from nst_core import Settings, stylize
    for frame in stylize("photo.jpg", "painting.jpg", Settings(iterations=300, max_size=384)):
        ...  # frame.image is uint8 H x W x 3; the last frame (frame.final) is the result

Importing this package is cheap: TensorFlow loads on the first run, not here.
"""
from __future__ import annotations

from typing import Iterator, Sequence

from .errors import DivergedError, ImageError, ModelLoadError, NSTError, SettingsError, WeightsError
from .control import RunControl
from .frame import Frame
from .imaging.images import ImageInput, load_image, png_bytes, save_png
from .settings import LAYER_PRESETS, Limits, Settings

__all__ = ["Settings", "Limits", "Frame", "RunControl", "stylize", "result_png", "save_result", "prepare", "fast_stylize", "palette_only", "load_image", "save_png", "png_bytes", "warm_up", "expected_seconds",
           "batch",
           "conv_choice", "conv_in_use", "fast_model_problem",
           "LAYER_PRESETS", "NSTError", "SettingsError", "ImageError", "WeightsError", "ModelLoadError",
           "DivergedError"]


def stylize(content: ImageInput, style: ImageInput | Sequence[ImageInput], settings: Settings | None = None, *,
            init_image: ImageInput | None = None, mask: ImageInput | None = None, extractor=None,
            control: RunControl | None = None) -> Iterator[Frame]:
    """See :func:`nst_core.engine.run.stylize` (imported on first use, so that importing nst_core stays cheap)."""
    from .engine.run import stylize as _stylize

    return _stylize(content, style, settings, init_image=init_image, mask=mask, extractor=extractor,
                    control=control)


def result_png(frame: Frame, settings: Settings, mask=None) -> bytes:
    """The run's final frame as PNG bytes carrying its recipe, and the run's mask (uint8 [H, W]) if
    it had one (see :func:`nst_core.recipe.result_png`)."""
    from .recipe import result_png as _png

    return _png(frame, settings, mask)


def save_result(frame: Frame, settings: Settings, path, mask=None) -> None:
    """Write :func:`result_png` to ``path``."""
    from pathlib import Path

    Path(path).write_bytes(result_png(frame, settings, mask))


def batch(photos: Sequence = (), styles: Sequence = (), outdir="batch", settings: Settings | None = None, *,
          manifest=None, use_ray: bool = True, address: str | None = None, cpus_per_task: int = 1,
          num_cpus: int | None = None, retries: int = 1, on_outcome=None):
    """Paint every photo with every painting (or ``manifest``'s pairs, a CSV or JSON file) into
    ``outdir/<photo>__<painting>.png``, each PNG carrying its recipe; a finished picture with the same
    recipe and inputs is skipped. On Ray (``pip install -r requirements-batch.txt``): a local one, or
    the cluster at ``address`` / $RAY_ADDRESS, one task of ``cpus_per_task`` cores per picture; a task
    that crashes is tried ``retries`` more times. ``use_ray=False`` paints them here, one by one.
    ``on_outcome(Outcome)`` is called as each picture is accounted for. Returns a
    :class:`nst_core.batches.pairs.BatchReport`; a picture that fails is in it, never raised."""
    from .batches.driver import run_batch
    from .batches.pairs import cross_pairs, read_manifest

    pairs = read_manifest(manifest) if manifest else cross_pairs(photos, styles)
    return run_batch(pairs, outdir, settings, use_ray=use_ray, address=address, cpus_per_task=cpus_per_task,
                     num_cpus=num_cpus, retries=retries, on_outcome=on_outcome)


def prepare(content: ImageInput | None, style: ImageInput | Sequence[ImageInput], settings: Settings | None = None,
            *, extractor=None) -> bool:
    """See :func:`nst_core.engine.run.prepare`: the style targets of a coming run, computed ahead of it."""
    from .engine.run import prepare as _prepare

    return _prepare(content, style, settings, extractor=extractor)


def fast_stylize(content: ImageInput, style: ImageInput, settings: Settings | None = None, *,
                 strength: float | None = None):
    """See :func:`nst_core.fast.fast_stylize`."""
    from .fast import fast_stylize as _fast

    return _fast(content, style, settings, strength=strength)


def palette_only(content: ImageInput, style: ImageInput, settings: Settings | None = None):
    """See :func:`nst_core.imaging.colour.palette_only`: the painting's colours on the photo, no strokes,
    in a few hundredths of a second (numpy only; no TensorFlow)."""
    from .imaging.colour import palette_only as _palette

    return _palette(content, style, settings)


def fast_model_problem(settings: Settings | None = None) -> str | None:
    """See :func:`nst_core.fast.fast_model_problem`: None if Instant can run, else why not (for visitors)."""
    from .fast import fast_model_problem as _problem

    return _problem(settings)


def conv_choice(settings: Settings | None = None) -> dict:
    """What ``conv="auto"`` picked in this process and its timings, as plain values: for the app's
    "Settings used" and the CLI's report. {} before the first run, or when ``settings`` names its
    convolutions itself. Measures nothing, imports no TensorFlow."""
    import sys

    autotune = sys.modules.get(f"{__name__}.optim.autotune")
    if settings is not None and settings.conv != "auto":
        return {}
    choice = autotune.chosen() if autotune else None
    return {} if choice is None else {"conv_chosen": choice.conv, "conv_seconds_per_step": choice.seconds_per_step,
                                      **({"conv_rejected": choice.rejected} if choice.rejected else {})}


def expected_seconds(content_shape: tuple[int, int], settings: Settings | None = None) -> float:
    """About how long ``stylize`` takes on a photo of ``content_shape`` (h, w) here: the run's
    pixel-iterations (every tile's, at print sizes) at this machine's timed speed when ``conv="auto"``
    has been timed in this process, else at a typical one. Imports no TensorFlow."""
    from .engine.schedule import SMALL_TO_LARGE, estimate_seconds, plan
    from .machine import precision

    s = settings or Settings()
    choice = conv_choice(s)
    us = None
    if choice:
        h, w = (96, 128)  # autotune.TIME_SHAPE, the size its timings are for
        ratio = SMALL_TO_LARGE[precision(choice["conv_chosen"])]
        us = choice["conv_seconds_per_step"][choice["conv_chosen"]] / (h * w) * ratio * 1e6
    return estimate_seconds(plan(content_shape, s, conv_in_use(s)), us, warm=bool(choice))


def conv_in_use(settings: Settings | None = None) -> str:
    """The convolution path a run of ``settings`` uses here: the one it names, or the one ``conv="auto"``
    picked in this process; "" before that is known. Measures nothing, imports no TensorFlow."""
    s = settings or Settings()
    return s.conv if s.conv != "auto" else conv_choice(s).get("conv_chosen", "")


def warm_up(settings: Settings | None = None, fast: bool = False) -> None:
    """Load VGG19 and trace the compiled step now, so the first real run starts at once; with
    ``fast``, also load the fast-path model (see :func:`nst_core.engine.warm.warm_up`)."""
    from .engine.warm import warm_up as _warm

    _warm(settings, fast)
