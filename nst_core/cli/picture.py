"""The picture command, ``python -m nst_core CONTENT STYLE``: options and help generated from Settings;
inputs checked before TensorFlow loads."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..errors import NSTError
from ..presets import PRINT_FROM, at_print_size
from ..settings import Settings
from .kit import (EXIT_INTERRUPTED, EXIT_OK, Parser, add_settings_options, ctrl_c_stops, draw_bar, fail,
                  interrupted, output_path, starting_settings)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="python -m nst_core",
        description="Paint CONTENT in the style of STYLE (Gatys et al. 2015, VGG19).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("content", help="the photo: a path to an image file")
    p.add_argument("style", nargs="+", help="the painting(s): one or more image files (see --style-blend)")
    p.add_argument("-o", "--output", default="stylized.png", help="where to write the PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object per frame on stdout")
    p.add_argument("--preset", help="start from presets/NAME.toml; options given here override it")
    p.add_argument("--fast", action="store_true",
                   help="one pass of the Magenta model (about a second) instead of the optimisation")
    p.add_argument("--palette-only", action="store_true",
                   help="only the painting's colours on the photo, without its strokes (a fraction of a second)")
    p.add_argument("--recipe", help="start from a run recipe (.json, or a PNG made here); options override it")
    p.add_argument("--init-image", help="starting image for --init image")
    p.add_argument("--mask", help="where the style goes: 'subject' or 'background' (found in the photo: a person "
                   "below a face, else what its middle holds), or a greyscale image of the photo's shape, white for "
                   "the (first) style, black for the photo or, with two styles, the second; grey blends "
                   "(a file named 'subject': ./subject)")
    p.add_argument("--animation", help="also write the run's frames as an animated GIF here")
    add_settings_options(p)
    return p


def _one_pass(make, recipe: dict, said: str, content, style, settings: Settings, out: Path, as_json: bool) -> int:
    """Instant's or Palette only's picture: ``make(content, style, settings)`` in one pass, written with
    its recipe (``recipe``: what replays it), reported as a run's last line (``said``: its time's words)."""
    from ..imaging.images import save_png
    from ..recipe import KEY, recipe_json

    t0 = time.perf_counter()
    try:
        image = make(content, style, settings)
    except NSTError as exc:
        fail(str(exc))
    save_png(image, out, {KEY: recipe_json(settings, **recipe)})
    _jpeg_note(out, image.shape[2] == 4)
    elapsed = time.perf_counter() - t0
    if as_json:
        print(json.dumps({"iteration": 1, "total": 1, "losses": {}, "elapsed_s": round(elapsed, 3),
                          "output": str(out)}))
    else:
        print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}){said.format(elapsed)}", file=sys.stderr)
    return EXIT_OK


def _fast(content, style, settings: Settings, out: Path, as_json: bool) -> int:
    from ..fast import fast_stylize

    return _one_pass(fast_stylize, {"fast": True}, " in {:.1f}s", content, style, settings, out, as_json)


def _palette(content, style, settings: Settings, out: Path, as_json: bool) -> int:
    from ..imaging.colour import PALETTE_METHOD, palette_only

    return _one_pass(palette_only, {"palette_only": PALETTE_METHOD}, ": the painting's palette in {:.2f}s",
                     content, style, settings, out, as_json)


def _jpeg_note(out: Path, transparent: bool) -> None:
    """A cut-out's result needs a format with alpha: the file is PNG whatever its name says."""
    if transparent and out.suffix.lower() in (".jpg", ".jpeg"):
        print(f"note: a JPEG cannot carry the photo's transparency: {out.name} is written as a PNG with alpha "
              f"(name it .png)", file=sys.stderr)


def _mask(path: str | None, recipe: str | None, content, settings: Settings, fast: bool):
    """--mask (a file, or the subject or the background found in the photo), else the recipe's own
    mask, as uint8 [H, W] checked against the photo (or None)."""
    from ..imaging.mask import check_mask, load_mask
    from ..imaging.subject import PARTS, part_mask
    from ..recipe import read_mask

    if path and fast:
        fail("--mask places the style in the optimisation; the --fast model paints the whole picture")
    if path in PARTS:
        return part_mask(content, path)
    m = load_mask(path, settings.limits) if path else read_mask(recipe, settings.limits) if recipe else None
    if m is not None and fast:
        fail("--mask places the style in the optimisation; --fast and --palette-only change the whole picture")
    if m is not None:
        check_mask(m, content.shape[:2])
    return m


def _progress(frame, out) -> None:
    scale, scales, size = frame.scale
    where = f" scale {scale}/{scales} {size}px" if scales > 1 else ""
    if frame.faces:
        where = f" faces {size}px"
    if frame.tile:
        where += f" tile {frame.tile[0]}/{frame.tile[1]} sweep {frame.tile[2]}/{frame.tile[3]}"
    draw_bar(out, frame.iteration, frame.total, f"{frame.iteration}/{frame.total}{where} "
             f"loss {frame.losses['total']:.4g}  {frame.iterations_per_s:.2f} it/s  ETA {frame.eta_s:4.0f}s ")


def _settings(options: dict, preset: str | None, recipe: str | None) -> Settings:
    """The options over the preset's or the recipe's settings (or the defaults). A print size given
    without either takes the print preset's schedule; a preset or a recipe keeps its own."""
    settings = starting_settings(preset, recipe).replace(**options)
    if not preset and not recipe and settings.max_size >= PRINT_FROM:
        settings = at_print_size(settings, settings.max_size, given=tuple(options), enlarge=settings.enlarge)
    return settings


def _images(content: str, style: list[str], init_image: str | None, settings: Settings):
    """The photo (with its alpha, if it has transparency: the result keeps it), the paintings and the
    initial image (or None), decoded with the limits."""
    from ..imaging.images import load_image

    c = load_image(content, settings.limits, "content image", background=None)
    s = [load_image(path, settings.limits, "style image") for path in style]
    init = load_image(init_image, settings.limits, "initial image") if init_image else None
    return c, s, init


def _note_if_small(c, settings: Settings) -> None:
    if max(c.shape[:2]) < settings.max_size and not settings.enlarge:
        print(f"note: the photo is {c.shape[1]}x{c.shape[0]}, smaller than --size {settings.max_size}: the result "
              f"stays at {max(c.shape[:2])} px (add --enlarge to paint it at {settings.max_size})", file=sys.stderr)


def _run(c, s, settings: Settings, init, m, control, as_json: bool, animation: str | None):
    """stylize() to its last frame, each frame shown as it comes: (the last frame, the GIF's frames)."""
    from .. import stylize

    last, shown = None, []
    for frame in stylize(c, s, settings, init_image=init, mask=m, control=control):
        last = frame
        if animation:
            from ..imaging.animation import frame_for_gif

            shown.append(frame_for_gif(frame.image))
        if as_json and not frame.final:  # the final frame is printed with its "output" below
            print(json.dumps(frame.to_json()), flush=True)
        else:
            _progress(frame, sys.stderr)
    return last, shown


def _write(last, shown: list, settings: Settings, out: Path, m, animation: str | None, as_json: bool) -> int:
    """The PNG (and the GIF) written and said; the exit code."""
    from .. import conv_choice, save_result

    save_result(last, settings, out, m)
    _jpeg_note(out, last.alpha is not None)
    if animation:
        from ..imaging.animation import gif_bytes

        Path(animation).write_bytes(gif_bytes(shown))
    if last.message:
        print(f"\nwarning: {last.message}", file=sys.stderr)
    conv = conv_choice(settings)
    if as_json:
        print(json.dumps({**last.to_json(), "output": str(out), **conv}), flush=True)
    else:
        used = f" ({conv['conv_chosen']} convolutions)" if conv else ""
        how = f"stopped at iteration {last.iteration}; wrote the best image so far to" if last.stopped else "wrote"
        print(f"\n{how} {out} ({last.image.shape[1]}x{last.image.shape[0]}) in {last.elapsed_s:.1f}s{used}",
              file=sys.stderr)
    return EXIT_INTERRUPTED if last.stopped else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = vars(build_parser().parse_args(argv))
    content, style, output, as_json, preset, fast, palette, recipe, init_image, animation, mask = (
        args.pop(k) for k in ("content", "style", "output", "json", "preset", "fast", "palette_only", "recipe",
                              "init_image", "animation", "mask"))
    try:
        settings = _settings(args, preset, recipe)
        if recipe and not (fast or palette):  # an Instant or Palette only picture replays as it was made
            from ..recipe import one_pass

            made = one_pass(recipe)
            fast, palette = made == "fast", made == "palette"
        # Decode the images now (PIL only): a typo or a bad file is answered before TensorFlow loads.
        c, s, init = _images(content, style, init_image, settings)
        m = _mask(mask, recipe, c, settings, fast or palette)
        out = output_path(output)
    except NSTError as exc:
        fail(str(exc))
    if palette:
        if fast or len(s) > 1:
            fail("--palette-only takes one painting's colours and paints no strokes: drop --fast and the other paintings")
        return _palette(c, s[0], settings, out, as_json)
    if fast:
        return _fast(c, s[0], settings, out, as_json)
    _note_if_small(c, settings)

    from .. import RunControl

    control = RunControl()
    with ctrl_c_stops(control):  # the first Ctrl-C ends the run with its best image; a second one aborts
        try:
            last, shown = _run(c, s, settings, init, m, control, as_json, animation)
        except NSTError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            return interrupted("nothing written")
    return _write(last, shown, settings, out, m, animation, as_json)
