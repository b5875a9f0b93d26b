"""The app's controls, each declared once: its Settings field, its component, and the mapping both ways.

The inputs list, Settings <-> widget values, presets and recipes -> widgets, and the API's parameter
names all follow from ``KNOBS``. Ranges, choices and help come from the Settings fields' metadata.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from nst_core import Limits, Settings

from .components import Checkbox, Dropdown, Number, Radio, Slider

DEFAULTS, LIMITS = Settings(), Limits()
FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
UI_INITS = ("content", "noise", "style", "image")  # "fast" is what Refine starts from


# ---- weights on log sliders --------------------------------------------------------------------
LOG_OFF = FIELDS["content_weight"].metadata["ui"][0]  # the weight sliders' left end means "off" (0)


def to_log(weight: float) -> float:
    return LOG_OFF if weight <= 0 else round(math.log10(weight), 2)


def from_log(value: float) -> float:
    # three significant figures, so that -4.7 means 2e-05 (as shown), not 1.9953e-05
    return 0.0 if value <= LOG_OFF else float(f"{10.0 ** value:.3g}")


def weight_info(value: float) -> str:
    w = from_log(value)
    return "off" if w == 0 else f"= {w:.3g}"


@dataclass(frozen=True)
class Knob:
    """A control bound to a Settings field: ``to_ui`` shows a value, ``from_ui`` reads one back
    (given the base settings, so a preset's exact weight survives the slider's rounding)."""

    name: str
    make: Callable[[], gr.components.Component]
    to_ui: Callable[[Any], Any] = lambda v: v
    from_ui: Callable[[Any, Any], Any] = lambda v, base: v


def iterations_info(iterations, max_size, multiscale) -> str:
    """What the run will count: the iterations at the final size, and the coarse scales' before them."""
    from nst_core.engine.schedule import scale_sizes

    try:
        sizes = scale_sizes(int(max_size), bool(multiscale))
        n = int(iterations)
    except (TypeError, ValueError, OverflowError):
        return ""
    if len(sizes) == 1:
        return f"{n} at {sizes[0]} px"
    coarse = " and ".join(map(str, sizes[:-1]))
    return f"{n} at {sizes[-1]} px, after {min(DEFAULTS.coarse_iterations, n)} at each of {coarse} px"


def follow_infos(c: dict) -> None:
    """Keep the info lines under the sliders true: each weight's value (or "off"), and what the
    iterations will count at each scale (the page's components ``c`` by name)."""
    hidden = {"queue": False, "show_progress": "hidden", "api_visibility": "private"}
    for slider in (c[knob.name] for knob in WEIGHTS):
        slider.change(lambda v: gr.Slider(info=weight_info(v)), slider, slider, **hidden)
    gr.on([c["iterations"].release, c["max_size"].release, c["multiscale"].change],
          lambda n, size, multi: gr.Slider(info=iterations_info(n, size, multi)),
          [c["iterations"], c["max_size"], c["multiscale"]], c["iterations"], **hidden)


def _range(name: str) -> tuple:
    meta = FIELDS[name].metadata
    lo, hi, *step = meta["ui"] or (*meta["range"], None)
    if meta.get("limit"):
        hi = min(hi, getattr(LIMITS, meta["limit"]))
    return lo, hi, (step[0] if step else None)


def _weight(name: str, label: str) -> Knob:
    lo, hi, step = _range(name)
    value = to_log(getattr(DEFAULTS, name))
    label = f"{label} (log scale; far left = off)"
    return Knob(name, lambda: Slider(lo, hi, value, step=step, label=label, elem_id=name,
                                        info=weight_info(value)),
                lambda w: gr.Slider(value=to_log(w), info=weight_info(to_log(w))),
                lambda v, base: base if abs(v - to_log(base)) < 1e-6 else from_log(v))


def _slider(name: str, label: str, cast=float) -> Knob:
    lo, hi, step = _range(name)
    return Knob(name, lambda: Slider(lo, hi, getattr(DEFAULTS, name), step=step, label=label, elem_id=name),
                from_ui=lambda v, base: cast(v))


def _choice(name: str, label: str, choices=None, radio: bool = False) -> Knob:
    options = list(choices or FIELDS[name].metadata["choices"])
    kind = Radio if radio else Dropdown
    return Knob(name, lambda: kind(options, value=getattr(DEFAULTS, name), label=label, elem_id=name),
                to_ui=lambda v: v if v in options else options[0])


WEIGHTS = (_weight("content_weight", "Content weight"), _weight("style_weight", "Style weight"),
           _weight("tv_weight", "Smoothness (TV) weight"))
def _iterations() -> Knob:
    lo, hi, step = _range("iterations")
    info = iterations_info(DEFAULTS.iterations, DEFAULTS.max_size, DEFAULTS.multiscale)
    return Knob("iterations", lambda: Slider(lo, hi, DEFAULTS.iterations, step=step, label="Iterations", info=info,
                                             elem_id="iterations"), from_ui=lambda v, base: int(v))


MAIN = (*WEIGHTS, _iterations(), _slider("max_size", "Output size (longer side, px)", int),
        _choice("optimizer", "Optimiser"), _choice("layers", "Layers"))
ADVANCED = (
    _choice("preserve_colors", "Keep the photo's colours", radio=True),
    _choice("init", "Start from", UI_INITS),
    _slider("style_scale", "Style scale (>1 finer strokes, <1 bigger strokes)"),
    Knob("multiscale", lambda: Checkbox(DEFAULTS.multiscale, label=(
        f"Coarse-to-fine (multi-scale): first {DEFAULTS.coarse_iterations} iterations at each half size from "
        f"about 128 px up: larger structures, sooner at large sizes"), elem_id="multiscale"),
         from_ui=lambda v, base: bool(v)),
    Knob("seed", lambda: Number(DEFAULTS.seed, precision=0, minimum=0, label="Seed", elem_id="seed"),
         from_ui=lambda v, base: int(v or 0)),
    Knob("photo", lambda: Checkbox(DEFAULTS.photo, label=(
        "Photo look: a photo's colours and light on your photo, its edges and shading kept (no strokes); "
        "whole pictures only, not print sizes"), elem_id="photo"), from_ui=lambda v, base: bool(v)),
    _slider("fast_strength", "Instant: style strength (blends the model's picture with the photo)"),
    _slider("mask_feather", "Mask feather (the seam's softness, a fraction of the longer side)"),
)
def _keep_faces() -> Knob:
    """A checkbox over a strength: ticked keeps the preset's or recipe's strength, or the CLI flag's."""
    strength = FIELDS["keep_faces"].metadata["const"]
    return Knob("keep_faces", lambda: Checkbox(DEFAULTS.keep_faces > 0, label="Keep faces recognisable", info=(
        "faces found in the photo keep their features; the painting's strokes and colours still reach the skin"),
        elem_id="keep_faces"), to_ui=lambda v: v > 0, from_ui=lambda v, base: (base or strength) if v else 0.0)


FACES = _keep_faces()  # shown beside the mask (ui/faces.py), with the faces it will keep
KNOBS: dict[str, Knob] = {k.name: k for k in (*MAIN, *ADVANCED, FACES)}
#: Print sizes the server offers (the operator's NST_MAX_SIZE caps them): the photo is painted at this
#: longer side, enlarged if smaller, its finest scales tile by tile in bounded memory.
PRINT_SIZES = tuple(n for n in (2048, 4096) if n <= LIMITS.max_size)
PRINT_OFF = "screen (the slider)"


def print_size_controls() -> tuple[gr.Radio, gr.Markdown]:
    """The print-size choice and the note under it (size, tiles, expected time), hidden where none is offered."""
    return (Radio([PRINT_OFF, *(f"{n} px" for n in PRINT_SIZES)], value=PRINT_OFF, label="Print size",
                     info="paints at this size, enlarging a smaller photo; takes minutes: the time is shown below",
                     visible=bool(PRINT_SIZES), elem_id="print_size"),
            gr.Markdown("", visible=False, elem_id="print_note"))


def with_print_size(s: Settings, choice: str | None) -> Settings:
    """``s`` at the chosen print size (enlarging the photo) on the print preset's schedule, or as it
    is for the slider's size."""
    if not choice or choice == PRINT_OFF:
        return s
    size = int(str(choice).split()[0])
    if size not in PRINT_SIZES:
        from nst_core import SettingsError

        raise SettingsError(f"print size must be one of {', '.join(map(str, PRINT_SIZES)) or 'none here'}, got {choice!r}")
    from nst_core.presets import at_print_size

    return at_print_size(s, size)  # the print schedule: the size asked, in the print preset's time


def settings_from(values: dict, base: Settings) -> Settings:
    """``base`` (a preset or a loaded recipe) with the knobs' values (by name) on top, validated.

    The second style's share (``blend``) becomes ``style_blend`` only when a second style is given."""
    changes = {n: _read(n, KNOBS[n].from_ui, values[n], getattr(base, n)) for n in KNOBS if n in values}
    blend = _read("blend", lambda v, _: float(v), values.get("blend", 0.5), None)
    changes["style_blend"] = (1.0 - blend, blend) if values.get("style2") is not None else ()
    return base.replace(**changes, preview_every=1)


def _read(name: str, from_ui: Callable, value: Any, base: Any) -> Any:
    """A control's value for Settings, or one line saying it is not one (NaN, a string, a list)."""
    try:
        out = from_ui(value, base)
    except (TypeError, ValueError, OverflowError):
        out = math.nan
    if isinstance(out, float) and not math.isfinite(out):
        from nst_core import SettingsError

        raise SettingsError(f"{name} must be a number, got {str(value)[:40]!r}")
    return out


def widget_values(s: Settings) -> dict[str, Any]:
    """What each knob shows for ``s`` (the inverse of settings_from), by name; with ``blend``."""
    shown = {n: k.to_ui(getattr(s, n)) for n, k in KNOBS.items()}
    shown["max_size"] = min(s.max_size, LIMITS.max_size)
    shown["blend"] = s.style_blend[1] / sum(s.style_blend) if len(s.style_blend) == 2 else 0.5
    return shown
