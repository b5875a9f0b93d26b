"""Quality, side by side: our result at the defaults against pastiche 1.6.0's on the shared pairs.

Four figures (the first three by nst_core/vgg/figures.py, the engine's own check's, here on the shared
Keras VGG19 .h5, not on the engine's weights or loss, so a change to the engine cannot flatter itself):

* texture: mean over block1_conv1..block5_conv1 of ||G(R) - G(S)||_F / ||G(S)||_F, per-pixel Grams,
  every layer counting the same (R the result, S the painting at the result's longer side);
* palette: sliced Wasserstein-1 distance between the RGB pixel distributions of R and S, in levels;
* content: ||F(R) - F(C)|| / ||F(C)|| at block4_conv2 (C the photo at the result's size);
* border: mean |Laplacian| of the luminance in the 4-px frame over the interior's (1 = no band).

pastiche runs in its own virtual environment (it brings torch), never as our dependency:

    python3 -m venv /tmp/venv-pastiche && /tmp/venv-pastiche/bin/pip install torch==2.13.0 pastiche==1.6.0
    python benchmarks/quality.py --pastiche /tmp/venv-pastiche/bin/pastiche --work /tmp/quality

Its results and times are kept in --work, so a re-run only runs what is missing (--fresh re-runs all).
Prints one JSON line per pair and a summary; --sheet writes a contact sheet (photo, painting, ours,
pastiche) for the pairs. The shared photos may not be published, so a sheet for the README comes
from the shipped examples' photos:

    python benchmarks/quality.py --pastiche /tmp/venv-pastiche/bin/pastiche --work /tmp/quality \
        --pairs astronaut:the_scream,chelsea:starry_night,coffee:woman-with-hat-matisse --sheet docs/quality_sheet.png
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from common import ROOT, SHARED_IMAGES, emit, machine
from nst_core.vgg.figures import figures, palette_distance  # noqa: F401 (palette_distance: benchmarks' figure)

PHOTOS = ("tubingen", "golden_gate")
PAINTINGS = ("starry_night", "the_scream", "woman-with-hat-matisse", "picasso_selfport1907")
PAIRS = [(p, s) for p in PHOTOS for s in PAINTINGS]
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"
H5 = ROOT.parent / "shared" / "weights" / "vgg19_notop.h5"
PASTICHE_ARGS = ("--size", "512", "--num-steps", "300", "--seed", "0")


EXAMPLES = ROOT / "examples"  # public-domain / CC0 photos the project ships (astronaut, chelsea, coffee)


def image_path(name: str) -> Path:
    """A pair's image by name: the shared test images first, else the shipped examples, so a sheet
    the README may show can be made from pairs whose photos the project may publish."""
    shared, shipped = SHARED_IMAGES / f"{name}.jpg", EXAMPLES / f"{name}.jpg"
    return shipped if shipped.exists() and not shared.exists() else shared


def run_pastiche(exe: str, photo: str, painting: str, work: Path, fresh: bool) -> tuple[Path, float]:
    """pastiche's result for the pair (cached in ``work`` with its wall time)."""
    out, meta = work / f"pastiche_{photo}_{painting}.png", work / f"pastiche_{photo}_{painting}.json"
    if out.exists() and meta.exists() and not fresh:
        return out, json.loads(meta.read_text())["seconds"]
    t = time.perf_counter()
    subprocess.run([exe, *PASTICHE_ARGS, "--no-verbose", "--content", str(image_path(photo)),
                    "--styles", str(image_path(painting)), "--output", str(out)], check=True)
    seconds = time.perf_counter() - t
    meta.write_text(json.dumps({"seconds": seconds, "args": PASTICHE_ARGS}))
    return out, seconds


def run_ours(photo: str, painting: str, work: Path, settings, tag: str = "") -> tuple[Path, float]:
    """Our result (timed warm: VGG19 is loaded and the step traced beforehand)."""
    from nst_core import load_image, stylize
    from nst_core.imaging.images import save_png

    content, style = (load_image(image_path(n)) for n in (photo, painting))
    t = time.perf_counter()
    *_, final = stylize(content, style, settings)
    seconds = time.perf_counter() - t
    out = work / f"ours{tag}_{photo}_{painting}.png"
    save_png(final.image, out)
    return out, seconds


class Scorer:
    """The four figures for a result against its photo and painting, on Keras' VGG19 from the .h5."""

    def __init__(self, h5: Path = H5):
        import keras

        vgg = keras.applications.VGG19(include_top=False, weights=str(h5), input_shape=(None, None, 3))
        names = (*STYLE_LAYERS, CONTENT_LAYER)
        self.model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])

    def features(self, rgb: np.ndarray) -> list[np.ndarray]:
        """uint8 [H, W, 3] -> activations [h, w, C] at the style layers then the content layer."""
        from keras.applications.vgg19 import preprocess_input

        x = preprocess_input(rgb[None].astype(np.float32))
        return [np.asarray(f[0], np.float64) for f in self.model(x)]

    def score(self, result: np.ndarray, photo: np.ndarray, painting: np.ndarray) -> dict:
        """The figures (nst_core.vgg.figures, here on Keras' VGG19 from the .h5) and the border's."""
        return {**figures(self.features, result, photo, painting), "border": border_ratio(result)}


def border_ratio(image: np.ndarray, frame: int = 4) -> float:
    """Mean |Laplacian| of the luminance in the ``frame``-px border over the interior's mean."""
    y = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    lap = np.abs(4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:])
    inner = np.zeros(lap.shape, bool)
    inner[frame - 1:-(frame - 1), frame - 1:-(frame - 1)] = True  # lap is 1 px smaller on each side
    return float(lap[~inner].mean() / lap[inner].mean())


def _luminance_laplacian(image: np.ndarray) -> np.ndarray:
    """|Laplacian| of the luminance, [H-2, W-2] (pixel (i, j) of it is the image's (i+1, j+1))."""
    y = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.abs(4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:])


def seam_ratio(image: np.ndarray, rows: list[int], cols: list[int], width: int = 1) -> float:
    """Mean |Laplacian| of the luminance on the given rows and columns (tile boundaries), +-``width``
    px, over its mean everywhere else: 1 = the boundaries look like the rest of the picture."""
    lap = _luminance_laplacian(image)
    on = np.zeros(lap.shape, bool)
    for r in rows:
        on[max(0, r - 1 - width):r - 1 + width + 1] = True
    for c in cols:
        on[:, max(0, c - 1 - width):c - 1 + width + 1] = True
    return float(lap[on].mean() / lap[~on].mean())


def contact_sheet(rows: list[list[tuple[np.ndarray, str]]], path: Path, height: int = 192) -> None:
    """One PNG: a row per pair of (image, caption) tiles, each image scaled to ``height`` px with its
    caption under it, 4 px gaps on white."""
    from PIL import Image, ImageDraw

    line = 20  # caption strip under each tile
    scaled = [[(Image.fromarray(im).resize((round(im.shape[1] * height / im.shape[0]), height), Image.LANCZOS),
                caption) for im, caption in row] for row in rows]
    width = max(sum(im.width for im, _ in row) + 4 * (len(row) + 1) for row in scaled)
    sheet = Image.new("RGB", (width, len(rows) * (height + line + 4) + 4), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(scaled):
        x, y = 4, 4 + r * (height + line + 4)
        for im, caption in row:
            sheet.paste(im, (x, y))
            draw.text((x + 2, y + height + 3), caption, fill="black", font=_fitting_font(draw, caption, im.width - 4))
            x += im.width + 4
    sheet.save(path, optimize=True)


def _fitting_font(draw, text: str, width: int, size: int = 14):
    """Pillow's built-in font at ``size`` px, smaller where the text would run into the next tile."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=size)
    while size > 9 and draw.textlength(text, font=font) > width:
        size -= 1
        font = ImageFont.load_default(size=size)
    return font


def _value(text: str):
    """A --set value: JSON where it parses (numbers, lists, true/false), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pastiche", help="the pastiche executable in its own venv, to make its missing results "
                                       "(without it, only the pairs it has made in --work are compared)")
    ap.add_argument("--work", default="/tmp/nst-quality", help="where results and pastiche's times are kept")
    ap.add_argument("--pairs", help="comma-separated photo:painting pairs (default: the eight shared ones); "
                                    "names from ../shared/images or examples/, e.g. astronaut:the_scream")
    ap.add_argument("--fresh", action="store_true", help="re-run pastiche even where its result is kept")
    ap.add_argument("--pastiche-only", action="store_true", help="only make pastiche's results")
    ap.add_argument("--sheet", help="write the contact sheet PNG here")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a trial: change a Settings field from its default (repeatable; values as JSON, "
                         "e.g. --set style_weight=40 --set style_layer_weights=[2,1,1,1,1]); our results "
                         "are then kept under a name that says so")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    pairs = [tuple(p.split(":")) for p in args.pairs.split(",")] if args.pairs else PAIRS
    if args.pastiche_only:
        for photo, painting in pairs:
            _, seconds = run_pastiche(args.pastiche, photo, painting, work, args.fresh)
            print(json.dumps({"pair": f"{photo}:{painting}", "pastiche_s": round(seconds, 1)}), flush=True)
        return

    from nst_core import Settings, load_image, warm_up

    changes = {k: _value(v) for k, v in (c.split("=", 1) for c in args.set)}
    settings = Settings().replace(**{k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})
    tag = "".join(f"-{k}={v}" for k, v in changes.items()).replace(" ", "")
    # style_layer_weights is empty at the defaults; say which weights that means (layer: weight).
    used = dict(zip(settings.layer_names[1], (round(w, 4) for w in settings.normalized_style_layer_weights)))
    emit(kind="machine", **machine(), settings=settings.to_dict(), style_layer_weights_used=used, trial=changes)
    warm_up(settings)
    # All our runs first, then the scorer: with Keras' VGG19 built in the same process our step ran
    # 2x slower (measured), which would misstate our time.
    ours = {pair: run_ours(*pair, work, settings, tag) for pair in pairs}
    scorer, rows, summary = Scorer(), [], []
    for photo, painting in pairs:
        c, s = load_image(image_path(photo)), load_image(image_path(painting))
        ours_path, ours_s = ours[(photo, painting)]
        record = {"kind": "pair", "pair": f"{photo}:{painting}", "ours_s": round(ours_s, 1),
                  "ours": scorer.score(load_image(ours_path), c, s)}
        row = [(c, photo), (s, painting), (load_image(ours_path), f"ours, {ours_s:.0f} s")]
        cached = work / f"pastiche_{photo}_{painting}.json"
        if args.pastiche or cached.exists():  # without --pastiche, score the pairs it has already made
            p_path, p_s = run_pastiche(args.pastiche, photo, painting, work, args.fresh)
            record.update(pastiche_s=round(p_s, 1), pastiche=scorer.score(load_image(p_path), c, s))
            row.append((load_image(p_path), f"pastiche 1.6.0, {p_s:.0f} s"))
            o, p = record["ours"], record["pastiche"]
            record["meets"] = {"texture": o["texture"] <= p["texture"], "palette": o["palette"] <= p["palette"],
                               "content": o["content"] <= 1.05 * p["content"], "border": o["border"] <= 1.10,
                               "time": ours_s <= p_s / 5}
        rows.append(row)
        summary.append(record)
        emit(**record)
    if any("meets" in r for r in summary):
        summary = [r for r in summary if "meets" in r]
        emit(kind="summary", pairs=len(summary), all_met=all(all(r["meets"].values()) for r in summary),
             missed=[(r["pair"], k) for r in summary for k, ok in r["meets"].items() if not ok])
    if args.sheet:
        contact_sheet(rows, Path(args.sheet))


if __name__ == "__main__":
    main()
