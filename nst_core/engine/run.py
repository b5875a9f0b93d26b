"""stylize(): the Gatys et al. optimisation as a generator of Frames. All run state lives in locals."""
from __future__ import annotations

import dataclasses
from typing import Generator, Iterator, Sequence

import numpy as np

from ..imaging.colour import keep_content_colours, match_colours
from ..control import RunControl
from ..frame import Frame
from ..imaging.images import ImageInput, check_size, fit_size, load_image, load_rgba, resize, resize_alpha, to_uint8
from ..imaging.mask import at_size, check_mask, load_mask, regions
from ..optim.memory import trim
from ..vgg.objective import Targets, objective_for
from ..optim.state import RunState
from ..optim.steps import Outcome, optimise_objective, unknown_losses
from ..settings import Settings
from ..errors import SettingsError
from ..tiles import joint, sweeps
from . import photo
from .schedule import plan, scale_sizes  # noqa: F401  (scale_sizes: public here too)
from .warmstart import blend_weights, enlarge, finest_octave  # noqa: F401  (public here too)


#: keep_faces: the run paints the whole picture as without it; then, where faces were found and the last
#: scale is painted whole, that scale runs FACE_ITERATIONS more with only the faces' pixels free. They
#: start again from the photo in the painting's colours, a face's content error counts 1 + FACE_GAIN
#: times as much, and the painting's pull there is cut to 1 - FACE_STYLE_CUT: the painting's colours and
#: some of its texture reach the skin, the features stay. The rest of the picture is the run's own, so
#: it carries as much of the painting as without keep_faces (weighing the faces through the whole run
#: painted the rest up to 39 % more strongly to make up for them). The faces' mask is freed to the
#: power FREE_POWER: its feathered edge barely moves, so no ring of photo shows round a face (power 2
#: moved the picture just outside the faces 6-7 % from the painting). A tiled last scale (print
#: sizes) has no such pass: there the faces are weighed through the run. docs/portraits-and-photos.md,
#: benchmarks/faces.py.
FACE_GAIN = 8.0
FACE_STYLE_CUT = 0.5
FACE_ITERATIONS = 15
FREE_POWER = 4.0


def _as_list(style) -> list:
    return list(style) if isinstance(style, (list, tuple)) else [style]


def size_images(content: np.ndarray, styles: Sequence[np.ndarray], size: int, s: Settings):
    """Content fitted to ``size``; each style at ``style_scale`` x the content's longer side (the
    content's exact shape under keras-io normalisation, as that example does); colour-matched
    to the content when asked."""
    c = resize(content, fit_size(content.shape[:2], size, s.enlarge))
    check_size(c, "content image", content.shape[:2])
    sized = []
    for st in styles:
        original = st.shape[:2]
        if s.normalization == "keras-io":
            st = resize(st, c.shape[:2])
        else:
            h, w = original
            scale = s.style_scale * max(c.shape[:2]) / max(h, w)
            st = resize(st, (max(1, round(h * scale)), max(1, round(w * scale))))
        check_size(st, "style image", original)
        sized.append(match_colours(st, c) if s.preserve_colors == "match" else st)
    return c, sized


def prepare_images(content: ImageInput, style: ImageInput, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Load and size a content and one style image for a single-scale run at ``max_size``."""
    c = load_rgba(content, s.limits, "content image")[0]
    st = load_image(_as_list(style)[0], s.limits, "style image")
    c, (st,) = size_images(c, [st], s.max_size, s)
    return c, st


def blend_grams(objective, styles: Sequence[np.ndarray], weights, masked: bool = False) -> tuple:
    """The style targets, blended over several styles: sum_i w_i G_i (w normalised). ``masked``:
    each style's Grams kept apart (a mask places them), style after style."""
    parts = [objective.style_targets(st) for st in styles]
    if masked:
        return tuple(g for p in parts for g in p)
    if len(parts) == 1:
        return parts[0]
    w = blend_weights(weights, len(parts))
    return tuple(sum(wi * p[k] for wi, p in zip(w, parts)) for k in range(len(parts[0])))


def initial_pixels(s: Settings, content: np.ndarray, style: np.ndarray, init_image=None) -> np.ndarray:
    """float32 [H, W, 3] in 0..255: where the optimisation starts."""
    if s.init == "noise":
        return np.random.default_rng(s.seed).uniform(0, 255, content.shape).astype(np.float32)
    if s.init == "style":
        return resize(style, content.shape[:2]).astype(np.float32)
    if s.init == "image":
        return resize(init_image, content.shape[:2]).astype(np.float32)
    if s.init == "fast":  # a draft from the feed-forward model, refined by the optimisation
        from ..fast import fast_stylize

        return fast_stylize(content, style, s.replace(max_size=max(content.shape[:2]))).astype(np.float32)
    return content.astype(np.float32)


class GramsByTiles:
    """Stands in for the objective in :func:`blend_grams` at a tiled scale: a style image as large as
    the picture would not fit one forward pass either, so its Grams are summed over tiles."""

    def __init__(self, objective, tile_size: int):
        self.objective, self.tile_size = objective, tile_size

    def style_targets(self, style: np.ndarray) -> tuple:
        from ..tiles.tiled import tiled_objective

        return sweeps.style_grams(tiled_objective(self.objective), style, self.tile_size)


def _checked_mask(mask: ImageInput, content: np.ndarray, n_styles: int, s: Settings) -> np.ndarray:
    """The mask as uint8 [H, W], or a one-line reason it cannot place these styles."""
    if s.normalization == "keras-io":
        raise SettingsError("a mask needs the balanced or mean normalisation (the keras-io objective has none)")
    if n_styles > 2:
        raise SettingsError(f"a mask places one or two styles, got {n_styles}: white takes the first, black the second")
    if n_styles == 2 and s.style_blend:
        raise SettingsError("with a mask the mask places the two styles: leave style_blend empty")
    m = load_mask(mask, s.limits)
    check_mask(m, content.shape[:2])
    return m


def run_conv(s: Settings, extractor=None) -> str:
    """The convolution path a run of ``s`` paints with: the one ``s.conv`` names, or for "auto" the one
    autotune picks (timed once per machine, then cached); "" over a test model."""
    if extractor is not None:
        return ""
    from ..optim.autotune import resolve

    return resolve(s.conv, s.weights, s.padding)


def make_objective(s: Settings, extractor=None):
    """The compiled objective for these settings: over ``extractor`` when given (tests pass a tiny
    model), else over VGG19 with the path :func:`run_conv` gives."""
    return objective_for(s, s.conv, extractor) if extractor is not None else objective_for(s, run_conv(s))


def prepare(content: ImageInput | None, style: ImageInput | Sequence[ImageInput], settings: Settings | None = None,
            *, extractor=None) -> bool:
    """Compute, ahead of a run, the style targets it will start with (they are cached), so that a
    click on Run goes straight to the first iteration: an app calls this when a painting is dropped.
    Without the content the photo is assumed to be at least ``max_size`` on its longer side; where
    the style's sizing depends on the content itself (keras-io normalisation, colour matching) it
    does nothing then. Raises NSTError for an unreadable image, as the run would. Returns whether
    anything was computed."""
    s = settings or Settings()
    if content is None and (s.normalization == "keras-io" or s.preserve_colors == "match"):
        return False
    size = scale_sizes(s.max_size, s.multiscale)[0]
    styles = [load_image(st, s.limits, "style image") for st in _as_list(style)]
    c = (np.zeros((size, size, 3), np.uint8) if content is None
         else load_rgba(content, s.limits, "content image")[0])
    c, styles = size_images(c, styles, size, s)
    objective = make_objective(s, extractor)
    for st in styles:
        objective.style_targets(st)
    return True


def stylize(content: ImageInput, style: ImageInput | Sequence[ImageInput], settings: Settings | None = None, *,
            init_image: ImageInput | None = None, mask: ImageInput | None = None, extractor=None,
            control: RunControl | None = None) -> Iterator[Frame]:
    """Yield a Frame every ``preview_every`` iterations, then a final one with the best image.

    ``style`` may be one image or a list (blended by ``style_blend``). One iteration is one
    forward and one backward pass of VGG19 (up to the deepest layer in use). With ``multiscale``
    the picture is optimised at growing sizes (``scale_iterations``), and frames grow with it.
    Closing the generator stops the work at once and ends the optimiser's worker.
    ``extractor`` replaces VGG19 (tests pass a tiny model): [1, H, W, 3] -> {layer: [1, h, w, C]}.
    ``control`` takes commands while it runs: ``stop()`` ends it with a final frame (``stopped``) of
    the best image within one iteration; ``steer(...)`` changes the weights from the current image on
    (L-BFGS starts a new history; no targets are recomputed). Each frame's ``settings`` are those in
    force; their ``steering`` lists the changes made so far, which a recipe replays.
    ``mask`` (greyscale, the photo's shape) says where the style goes: white the (first) style, black
    the photo or, with two styles, the second; grey blends. The style loss then compares masked
    Grams (Gatys et al. 2017), the mask softened by ``mask_feather`` and resized to each scale and layer.
    """
    s = settings or Settings()
    (content_full, alpha), styles_full, init_image, mask = _read_inputs(content, style, init_image, mask, s)
    faces = face_weights(content_full, s)
    objective, conv = make_objective(s, extractor), run_conv(s, extractor)
    scales = with_faces_pass(plan(content_full.shape[:2], s, conv), faces)
    photo.check_photo(s, any(sc.tiles for sc in scales))
    run = RunState(s, control, [sc.work for sc in scales], conv, faces_pass=scales[-1].faces)
    best, best_losses, message, c = None, None, "", None
    for k, scale in enumerate(scales):
        if run.stopped and best is not None:  # stopped before the first scale: its start picture is the result
            break
        run.scale = k  # only once it starts: the final frame says which scale the picture is from
        coarse, (c, styles) = c, size_images(content_full, styles_full, scale.size, s)
        grams, masks = _scale_targets(objective, scale, styles, mask, c, s)
        weighed = faces if scale.faces or not scales[-1].faces else None  # in their pass, or a tiled run's
        masks = spare_faces(masks, weighed, c.shape[:2], s)
        if scale.tiles:
            trim()  # the painting's tiles' buffers, before the start picture is made beside them
        if scale.faces:
            start, free = faces_start(best, c, styles, faces, s)
        else:
            start, free = _start_pixels(s, best, c, coarse, styles, init_image, masks), None
        show = _shown(s, c)
        at_content = best is None and s.init == "content"
        if scale.tiles:
            styles = None  # the painting at this size made its Grams and the start: not held through the tiles
            trim()
        targets = Targets(None, grams, masks, content_map(weighed, c.shape[:2], s))
        out = yield from _optimise_scale(objective, scale, run, start, c, targets, show, at_content, free)
        if out.losses is not None or best is None:  # a scale stopped before its first step adds nothing
            best, best_losses = out.best, out.losses
        message = out.message
        if message:
            break
    if best_losses is None:  # diverged or stopped at the first step: the start image is all we have
        best_losses = unknown_losses()
    if best is not None and not run.stopped:
        best = photo.finish(s, best, c)
    yield run.frame(run.done, best_losses, show(to_uint8(best)), final=True, message=message,
                    stopped=run.stopped and not message,
                    alpha=None if alpha is None else resize_alpha(alpha, best.shape[:2]))


def _read_inputs(content: ImageInput, style, init_image: ImageInput | None, mask: ImageInput | None, s: Settings):
    """The photo, the paintings, the initial image and the mask decoded with the limits and checked
    against the settings: ((content, its alpha or None), styles, init image or None, mask or None).
    A transparent photo's hidden part is painted too (its edges extended; see ``load_rgba``): the
    result carries the photo's alpha, so what was hidden stays hidden."""
    content_full, alpha = load_rgba(content, s.limits, "content image")
    styles_full = [load_image(st, s.limits, "style image") for st in _as_list(style)]
    if s.style_blend and len(s.style_blend) != len(styles_full):
        raise SettingsError(f"style_blend has {len(s.style_blend)} weights for {len(styles_full)} style images")
    if s.init == "image":
        if init_image is None:
            raise SettingsError("init='image' needs an initial image (init_image=..., --init-image PATH)")
        init_image = load_image(init_image, s.limits, "initial image")
    if mask is not None:
        mask = _checked_mask(mask, content_full, len(styles_full), s)
    return (content_full, alpha), styles_full, init_image, mask


def _scale_targets(objective, scale, styles: list[np.ndarray], mask: np.ndarray | None, c: np.ndarray,
                   s: Settings):
    """A scale's style Grams (summed over tiles at a tiled scale) and its masks [H, W, R] or None."""
    grams = blend_grams(GramsByTiles(objective, scale.tile_size) if scale.tiles else objective, styles,
                        s.style_blend, masked=mask is not None)
    masks = None if mask is None else regions(at_size(mask, c.shape[:2], s.mask_feather), len(styles))
    return grams, masks


def face_weights(content: np.ndarray, s: Settings) -> np.ndarray | None:
    """uint8 [H, W] over the faces found in the photo (255 inside a face), or None: keep_faces is 0,
    or there is no face to keep. The keras-io objective reproduces that example to the letter, and photo
    mode paints no strokes (its colour grade should reach the skin as the rest): none there."""
    if not s.keep_faces or s.normalization == "keras-io" or s.photo:
        return None
    from ..imaging.faces import face_mask, find_faces

    faces = find_faces(content)
    return (face_mask(content.shape[:2], faces) * 255).astype(np.uint8) if faces else None


def content_map(faces: np.ndarray | None, shape: tuple[int, int], s: Settings) -> np.ndarray | None:
    """float32 [h, w, 1]: each pixel's content weight at a scale of ``shape``, 1 + FACE_GAIN x
    keep_faces over the faces; None without faces (the plain objective, unchanged)."""
    if faces is None:
        return None
    return (1.0 + FACE_GAIN * s.keep_faces * at_size(faces, shape, 0.0))[..., None].astype(np.float32)


def spare_faces(masks: np.ndarray | None, faces: np.ndarray | None, shape: tuple[int, int],
                s: Settings) -> np.ndarray | None:
    """The style's regions [h, w, R] with the faces' share cut by FACE_STYLE_CUT x keep_faces: there the
    painting's statistics pull less hard (and TV smooths less), so they tint the skin but do not repaint it."""
    if faces is None or not FACE_STYLE_CUT:
        return masks
    keep = 1.0 - FACE_STYLE_CUT * s.keep_faces * at_size(faces, shape, 0.0)[..., None]
    return (keep if masks is None else masks * keep).astype(np.float32)


def with_faces_pass(scales: list, faces: np.ndarray | None) -> list:
    """The run's scales, and keep_faces' pass where faces were found and the last scale is whole: that
    scale again for FACE_ITERATIONS, with only the faces' pixels free."""
    if faces is None or scales[-1].tiles:
        return scales
    last = scales[-1]
    return [*scales, dataclasses.replace(last, iterations=FACE_ITERATIONS, work=(last.work[0], FACE_ITERATIONS),
                                         faces=True)]


def faces_start(best: np.ndarray, c: np.ndarray, styles: list[np.ndarray], faces: np.ndarray, s: Settings
                ) -> tuple[np.ndarray, np.ndarray]:
    """(where the faces' pass starts, which pixels it may move [h, w, 1] in 0..1): the painted picture,
    its faces the photo in the painting's colours (photo mode's start), blended by the faces' mask to
    the power FREE_POWER; a pixel the pass may not move keeps the painted picture's value."""
    free = at_size(faces, c.shape[:2], 0.0)[..., None] ** FREE_POWER
    return best * (1.0 - free) + photo.recoloured(c, styles, s.style_blend) * free, free


def _start_pixels(s: Settings, best: np.ndarray | None, c: np.ndarray, coarse: np.ndarray | None,
                  styles: list[np.ndarray], init_image, masks: np.ndarray | None) -> np.ndarray:
    """Where a scale starts: the run's initial picture at the first scale, else the coarser scale's
    result enlarged, with the photo's and style's finer detail."""
    if best is not None:
        return enlarge(best, c, coarse, styles, s.style_blend, masks)
    start = initial_pixels(s, c, styles[0], init_image)
    if s.photo and s.init == "content":
        start = photo.recoloured(c, styles, s.style_blend)
    if masks is not None and len(styles) == 1:  # where no style goes, start at the photo itself
        start = masks * start + (1 - masks) * c.astype(np.float32)
    return start


def _shown(s: Settings, c: np.ndarray):
    """What a Frame shows of a picture at the scale of photo ``c``: the photo's colours kept if asked."""
    def show(image):
        return keep_content_colours(image, c) if s.preserve_colors == "luminance" else image

    return show


def _optimise_scale(objective, scale, run: RunState, start: np.ndarray, c: np.ndarray, targets: Targets, show,
                    at_content: bool, free: np.ndarray | None = None) -> Generator[Frame, None, Outcome]:
    """One scale through the loop: tile by tile at print sizes (jointly or in sweeps, each tile's
    content targets its own), else the whole picture. ``at_content``: the run starts at the photo
    itself, so the first step computes the content targets on the way."""
    if scale.tiles:
        from ..tiles.tiled import tiled_objective

        tiled = tiled_objective(objective)
        if scale.joint:
            return (yield from joint.optimise_joint(
                tiled, targets, start, c, run, scale.iterations, show, scale.tile_size))
        return (yield from sweeps.optimise_tiled(
            tiled, targets, start, c, run, scale.iterations, show, scale.tile_size, run.s.tile_sweeps))
    if not at_content:
        targets = dataclasses.replace(targets, content=objective.content_targets(c))
    return (yield from optimise_objective(objective, targets, start, run, scale.iterations, show,
                                          photo.regulariser(run.s, c), free))
