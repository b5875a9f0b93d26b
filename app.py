"""The Gradio app: a thin UI over nst_core's frame generator. No TensorFlow here.

    python app.py [--host 0.0.0.0] [--port 7860] [--share]
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import math
import os
import shutil
import tempfile
import threading

import gradio as gr
import pandas as pd

from nst_core import Limits, NSTError, Settings, conv_choice, fast_stylize, load_image, png_bytes, prepare, stylize, warm_up
from nst_core.animation import gif_bytes
from nst_core.images import fit_size, resize
from nst_core.presets import load_presets
from nst_core.recipe import KEY as RECIPE_KEY, read_recipe, recipe_json
from nst_core.settings import COLOUR_MODES, LAYER_PRESETS, OPTIMIZERS

DEFAULTS = Settings()
LIMITS = Limits()
PRESETS = load_presets()
LOG_OFF = -10.0  # the weight sliders' left end means "off" (weight 0)
UI_UPDATE_S = 0.4  # at most this often a preview is pushed to the browser
UI_INITS = ("content", "noise", "style", "image")
KEPT_UPLOADS = 8  # uploaded files kept (as bytes) per session for re-runs: the four drop zones, twice


class PathImage(gr.Image):
    """A drop zone that hands the uploaded file's path to nst_core undecoded.

    nst_core decodes with its own limits (pixels, bytes), EXIF, alpha and one clear message for
    a damaged or hostile file; Gradio's own decoder would fail first with a generic error.
    """

    is_template = True  # Gradio's template mechanism: the browser renders it as its own gr.Image

    def __init__(self, **kwargs):
        super().__init__(type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)


    def get_config(self, cls=None):  # describe it with gr.Image's parameters (label, elem_id, ...)
        return super().get_config(cls or gr.Image)

    def preprocess(self, payload):
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return payload.path
        return super().preprocess(payload)


# ---- weights on log sliders -------------------------------------------------------------------
def to_log(weight: float) -> float:
    return LOG_OFF if weight <= 0 else round(math.log10(weight), 2)


def from_log(value: float) -> float:
    # three significant figures, so that -4.7 means 2e-05 (as shown), not 1.9953e-05
    return 0.0 if value <= LOG_OFF else float(f"{10.0 ** value:.3g}")


def slider_weight(value: float, preset_weight: float) -> float:
    """The preset's exact weight while its slider sits where the preset put it, else the slider's."""
    return preset_weight if abs(value - to_log(preset_weight)) < 1e-6 else from_log(value)


def weight_info(value: float) -> str:
    w = from_log(value)
    return "off" if w == 0 else f"= {w:.3g}"


# ---- widgets <-> Settings ----------------------------------------------------------------------
def settings_from_ui(base: Settings, cw: float, sw: float, tv: float, iterations: float, size: float,
                     optimizer: str, layers: str, blend: float = 0.5, colours: str = "off", init: str = "content",
                     style_scale: float = 1.0, multiscale: bool = DEFAULTS.multiscale, seed: float = 0, two_styles: bool = False,
                     strength: float | None = None) -> Settings:
    """``base`` (a preset or a loaded recipe) with the widgets' values on top, validated by Settings."""
    return base.replace(content_weight=slider_weight(cw, base.content_weight),
                        style_weight=slider_weight(sw, base.style_weight),
                        tv_weight=slider_weight(tv, base.tv_weight),
                        iterations=int(iterations), max_size=int(size), optimizer=optimizer, layers=layers,
                        preview_every=1, preserve_colors=colours, init=init, style_scale=float(style_scale),
                        multiscale=bool(multiscale), seed=int(seed or 0),
                        style_blend=(1.0 - float(blend), float(blend)) if two_styles else (),
                        fast_strength=base.fast_strength if strength is None else float(strength))


def widget_values(s: Settings) -> tuple:
    """What the knobs show for ``s`` (the inverse of settings_from_ui, for presets and recipes)."""
    blend = s.style_blend[1] / sum(s.style_blend) if len(s.style_blend) == 2 else 0.5
    return (gr.Slider(value=to_log(s.content_weight), info=weight_info(to_log(s.content_weight))),
            gr.Slider(value=to_log(s.style_weight), info=weight_info(to_log(s.style_weight))),
            gr.Slider(value=to_log(s.tv_weight), info=weight_info(to_log(s.tv_weight))),
            s.iterations, min(s.max_size, LIMITS.max_size), s.optimizer, s.layers, blend, s.preserve_colors,
            s.init if s.init in UI_INITS else "content", s.style_scale, s.multiscale, s.seed)


def apply_preset(name: str):
    """Picking a preset moves the sliders to its values (and forgets a loaded recipe)."""
    return (*widget_values(PRESETS[name].settings), PRESETS[name].description, None)


def load_recipe_file(path):
    """A recipe (.json, or a PNG made here) sets every knob; its hidden values ride in the state."""
    if path is None:
        raise gr.Error("Choose a recipe file (.json, or a PNG made by this app).")
    try:
        s = read_recipe(path)
    except NSTError as exc:
        raise gr.Error(str(exc)) from None
    return (*widget_values(s), "Loaded a recipe: **Run** reproduces it.", s)


# ---- reporting ---------------------------------------------------------------------------------
def status_text(frame, stopped: bool = False) -> str:
    rate = frame.iterations_per_s
    eta = (frame.total - frame.iteration) / rate if rate and not frame.final else 0.0
    head = ("Stopped" if stopped else "Done") if frame.final else "Painting"
    losses = " · ".join(f"{k} {v:.4g}" for k, v in frame.losses.items())
    text = (f"**{head}** — iteration {frame.iteration} / {frame.total} · {rate:.2f} it/s · "
            f"{'ETA %.0f s' % eta if not frame.final else 'took %.1f s' % frame.elapsed_s}  \n{losses}")
    return text + (f"  \n⚠️ {frame.message}" if frame.message else "")


def chart_rows(frame) -> list[dict]:
    return [{"iteration": frame.iteration, "term": k, "log10 loss": math.log10(v) if v > 0 else None}
            for k, v in frame.losses.items()]


# ---- handlers ----------------------------------------------------------------------------------
def run_settings(preset: str, recipe, *knobs) -> Settings:
    """The Settings of a run: the preset (or a loaded recipe) with the widgets on top."""
    base = recipe if isinstance(recipe, Settings) else PRESETS.get(preset, PRESETS["default"]).settings
    return settings_from_ui(base, *knobs)


def prepare_run(content, style, preset, cw, sw, tv, iterations, size, optimizer, layers, style2=None, blend=0.5,
                colours="off", init="content", init_image=None, style_scale=1.0, multiscale=DEFAULTS.multiscale, seed=0,
                recipe=None, flags=None, uploads=None) -> None:
    """When an image is dropped: the painting's style targets for the coming run, computed now, so a
    click on Run goes straight to the first iteration; and a bad file is named now, not after it."""
    if style is None:
        return
    content, style, style2, init_image = take_uploads(uploads, content, style, style2, init_image)
    try:
        settings = run_settings(preset, recipe, cw, sw, tv, iterations, size, optimizer, layers, blend, colours, init,
                                style_scale, multiscale, seed, style2 is not None)
        prepare(content, [style] if style2 is None else [style, style2], settings)
    except NSTError as exc:
        gr.Warning(str(exc))


class UploadStore:
    """Recently used uploads' bytes, shared by all sessions, bounded in bytes.

    Gradio names an upload's folder by the SHA-256 of its contents, so two visitors who drop the same
    file get the same path: when one run removes the file, the other's drop zone still points at it.
    Keys are those content-addressed paths, so a caller can only get bytes it already holds.
    """

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes, self.items, self.lock = max_bytes, collections.OrderedDict(), threading.Lock()

    def put(self, path: str, data: bytes) -> None:
        with self.lock:
            self.items[path] = data
            self.items.move_to_end(path)
            while sum(map(len, self.items.values())) > self.max_bytes and len(self.items) > 1:
                self.items.popitem(last=False)

    def get(self, path: str) -> bytes | None:
        with self.lock:
            return self.items.get(path)


UPLOADS = UploadStore()


def take_uploads(kept: dict | None, *images):
    """The images with each uploaded file swapped for its bytes, kept in the visitor's session state.

    The file is removed from the server's disk at its first use, so no upload outlives its decoding;
    a re-run with the same drop zones reads the kept bytes. Example files and anything Gradio did not
    receive as an upload are left alone. The last KEPT_UPLOADS images used stay kept per session.
    """
    if kept is None:
        return images
    uploaded = getattr(globals().get("demo"), "upload_file_set", set())
    out = []
    for image in images:
        if isinstance(image, str) and image in uploaded:
            if os.path.isfile(image):
                with open(image, "rb") as f:
                    kept[image] = f.read()
                UPLOADS.put(image, kept[image])
                with contextlib.suppress(OSError):
                    os.remove(image)
            elif image not in kept and (data := UPLOADS.get(image)) is not None:  # another visitor removed it
                kept[image] = data
        if isinstance(image, str) and image in kept:
            kept[image] = kept.pop(image)  # most recently used last
            image = kept[image]
        out.append(image)
    while len(kept) > KEPT_UPLOADS:
        del kept[next(iter(kept))]
    return out


class ResultFolders:
    """Each result's files in a folder of their own, named at random, inside Gradio's cache.

    Gradio would copy returned files into folders named by their contents, so two visitors with the
    same inputs and seed would share one result file and neither could safely delete it. Here every
    run gets its own folder (Gradio serves files already in its cache as they are), so its files can
    go when they are no longer on anyone's screen: a session's earlier results of a kind (a run's
    files, or an Instant picture) when a newer one has been delivered, all when its tab closes.
    Callers of the bare HTTP API get a new session per call, so at most ``max_folders`` results are
    kept in all, and Gradio's hourly sweep remains the backstop.
    """

    def __init__(self, max_folders: int = 64):
        self.max_folders, self.lock = max_folders, threading.Lock()
        self.folders: collections.OrderedDict[tuple, list[str]] = collections.OrderedDict()

    def new(self, session: str | None, kind: str = "run") -> str:
        root = os.path.join(getattr(globals().get("demo"), "GRADIO_CACHE", tempfile.gettempdir()), "nst-results")
        os.makedirs(root, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="run-", dir=root)  # unguessable: not derived from the picture
        with self.lock:
            self.folders.setdefault((session, kind), []).append(folder)
            self.folders.move_to_end((session, kind))
            surplus = sum(map(len, self.folders.values())) - self.max_folders
            old = [f for folders in self.folders.values() for f in folders][:max(0, surplus)]
            for key, folders in list(self.folders.items()):
                folders[:] = [f for f in folders if f not in old]
                if not folders:  # one-call sessions must not leave an entry each behind
                    del self.folders[key]
        _remove(old)
        return folder

    def keep_newest(self, session: str | None, kind: str = "run") -> None:
        """Called once a result is on the visitor's screen: the ones before it are gone from it."""
        with self.lock:
            folders = self.folders.get((session, kind), [])
            old = folders[:-1]
            del folders[:-1]
        _remove(old)

    def forget(self, session: str | None) -> None:
        with self.lock:
            old = [f for key in list(self.folders) if key[0] == session for f in self.folders.pop(key)]
        _remove(old)

    def __contains__(self, path: str) -> bool:
        return os.path.basename(os.path.dirname(os.path.dirname(path))) == "nst-results"


def _remove(folders: list[str]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


RESULTS = ResultFolders()


def forget_session(request: gr.Request) -> None:
    """The tab closed: its results are no longer on any screen."""
    RESULTS.forget(request.session_hash)


class PreviewSweeper:
    """Removes a run's superseded preview images from Gradio's cache while it runs.

    Gradio writes every streamed preview to its cache (about 80 per default run) and would keep each
    for an hour. ``files`` is Gradio's record of what it wrote for the preview; the files added after
    the run started are this run's, as runs take the CPU one at a time (one concurrency group).
    """

    def __init__(self, files: set):
        self.files, self.before, self.mine = files, set(files), []

    def sweep(self, keep: int = 2) -> None:
        """Delete all but this run's ``keep`` newest previews (the browser may still be fetching one)."""
        self.mine += [f for f in list(self.files) if f not in self.before and f not in self.mine and f not in RESULTS]
        while len(self.mine) > keep:
            old = self.mine.pop(0)
            self.files.discard(old)
            with contextlib.suppress(OSError):
                os.remove(old)


def preview_files() -> set:
    """Gradio's set of the preview images it has cached (empty outside the served app)."""
    blocks = getattr(globals().get("demo"), "blocks", {})
    return next((b.temp_files for b in blocks.values() if getattr(b, "elem_id", None) == "preview"), set())


def _need_images(content, style) -> None:
    if content is None or style is None:
        raise gr.Error("Drop a content photo and a style painting first.")


def instant(content, style, size, strength, uploads=None, request: gr.Request = None):
    """The fast path: one pass of the Magenta model, shown at once."""
    _need_images(content, style)
    content, style = take_uploads(uploads, content, style)
    try:
        s = DEFAULTS.replace(max_size=int(size), fast_strength=float(strength))
        image = fast_stylize(content, style, s)
    except NSTError as exc:
        raise gr.Error(str(exc)) from None
    session = getattr(request, "session_hash", None)
    path = write_result(RESULTS.new(session, "instant"), {"instant.png": png_bytes(image)})["instant.png"]
    yield path, (f"**Instant** — one pass of the Magenta model at strength {strength:g}. "
                 f"**Refine** continues from it with the optimisation.")
    RESULTS.keep_newest(session, "instant")  # reached once Gradio has sent the picture


def write_result(folder: str, files: dict[str, bytes]) -> dict[str, str]:
    """Write ``files`` (name -> bytes) into ``folder``; return name -> path."""
    paths = {}
    for name, data in files.items():
        paths[name] = os.path.join(folder, name)
        with open(paths[name], "wb") as f:
            f.write(data)
    return paths


def run(content, style, preset, cw, sw, tv, iterations, size, optimizer, layers, style2=None, blend=0.5,
        colours="off", init="content", init_image=None, style_scale=1.0, multiscale=DEFAULTS.multiscale, seed=0,
        recipe=None, flags=None, uploads=None, strength=None, request: gr.Request = None):
    """Stream previews, then the result: PNG, before/after slider, settings, recipe and animation."""
    _need_images(content, style)
    content, style, style2, init_image = take_uploads(uploads, content, style, style2, init_image)
    flags = {} if flags is None else flags
    sweeper = PreviewSweeper(preview_files())
    try:
        settings = run_settings(preset, recipe, cw, sw, tv, iterations, size, optimizer, layers, blend, colours, init,
                                style_scale, multiscale, seed, style2 is not None, strength)
        styles = [style] if style2 is None else [style, style2]
        frames = stylize(content, styles, settings, init_image=init_image)
        flags["stop"] = False
        rows, shown, last, pushed = [], [], None, -1.0
        for frame in frames:
            rows += chart_rows(frame)
            last = frame
            if flags.get("stop"):
                frames.close()
                break
            if not frame.final and frame.elapsed_s - pushed >= UI_UPDATE_S:
                pushed = frame.elapsed_s
                shown.append(frame.image)
                yield (frame.image, status_text(frame), pd.DataFrame(rows), gr.skip(), gr.skip(), gr.skip(),
                       gr.skip())
                sweeper.sweep()
    except NSTError as exc:
        raise gr.Error(str(exc)) from None
    finally:  # the loop ended, failed or the tab closed: only the last preview shown stays cached
        sweeper.sweep(keep=1)
    if last is None:
        return
    stopped = not last.final
    if stopped:
        last = dataclasses.replace(last, final=True)
    recipe_text = recipe_json(settings, stopped_at=last.iteration if stopped else None)
    content = load_image(content, settings.limits)  # decoded once more, already known to be good
    before = resize(content, fit_size(content.shape[:2], max(last.image.shape[:2])))
    session = getattr(request, "session_hash", None)
    paths = write_result(RESULTS.new(session), {
        "stylized.png": png_bytes(last.image, {RECIPE_KEY: recipe_text}), "before.png": png_bytes(before),
        "recipe.json": recipe_text.encode(), "progress.gif": gif_bytes(shown + [last.image])})
    yield (paths["stylized.png"], status_text(last, stopped), pd.DataFrame(rows), paths["stylized.png"],
           (paths["before.png"], paths["stylized.png"]), {**settings.to_dict(), **conv_choice(settings)},
           [paths["recipe.json"], paths["progress.gif"]])
    # Reached once Gradio has sent the result: it replaced the earlier ones and the last preview on screen.
    RESULTS.keep_newest(session)
    sweeper.sweep(keep=0)


def refine(*args, request: gr.Request = None):
    """The optimisation, starting from the fast path's picture instead of the photo."""
    *knobs, strength = args
    knobs[RUN_INPUT_INIT] = "fast"
    yield from run(*knobs, strength=strength, request=request)


def stop(flags):
    flags["stop"] = True


def example_files() -> list[list[str]]:
    """The made-in-code example pairs as PNG files (gr.Examples wants paths)."""
    from PIL import Image

    from nst_core.examples import EXAMPLE_PAIRS

    folder = tempfile.mkdtemp(prefix="nst-examples-")
    rows = []
    for i, (make_content, make_style) in enumerate(EXAMPLE_PAIRS.values()):
        row = []
        for kind, make in (("content", make_content), ("style", make_style)):
            path = os.path.join(folder, f"{i}-{kind}-{make.__name__}.png")
            Image.fromarray(make()).save(path)
            row.append(path)
        rows.append(row)
    return rows


RUN_INPUT_INIT = 13  # position of `init` among run()'s inputs (Refine overrides it)


# ---- layout ------------------------------------------------------------------------------------
def build_demo() -> gr.Blocks:
    d = DEFAULTS
    with gr.Blocks(title="Neural style transfer", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# Neural style transfer\nDrop a photo and a painting, press **Run**, and watch "
                    "the photo being painted (Gatys et al. 2015, VGG19, on this server's CPU).")
        flags = gr.State({"stop": False})
        uploads = gr.State({})  # this visitor's uploaded files' bytes (the files are removed at first use)
        recipe_state = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Row():
                    content = PathImage(label="Content photo", elem_id="content")
                    style = PathImage(label="Style painting", elem_id="style")
                with gr.Row():
                    run_btn = gr.Button("Run", variant="primary", elem_id="run")
                    stop_btn = gr.Button("Stop", variant="stop", elem_id="stop")
                with gr.Row():
                    instant_btn = gr.Button("Instant (about a second)", elem_id="instant")
                    refine_btn = gr.Button("Refine (optimise from Instant)", elem_id="refine")
                gr.Examples(example_files(), [content, style], label="Examples (made in code)")
                preset = gr.Dropdown(list(PRESETS), value="default", label="Preset")
                preset_info = gr.Markdown(PRESETS["default"].description)
                cw = gr.Slider(LOG_OFF, 4, to_log(d.content_weight), step=0.1, label="Content weight (log10)",
                               info=weight_info(to_log(d.content_weight)), elem_id="content_weight")
                sw = gr.Slider(LOG_OFF, 4, to_log(d.style_weight), step=0.1, label="Style weight (log10)",
                               info=weight_info(to_log(d.style_weight)), elem_id="style_weight")
                tv = gr.Slider(LOG_OFF, 6, to_log(d.tv_weight), step=0.1, label="Smoothness (TV) weight (log10)",
                               info=weight_info(to_log(d.tv_weight)), elem_id="tv_weight")
                with gr.Row():
                    iterations = gr.Slider(1, min(1000, LIMITS.max_iterations), d.iterations, step=1,
                                           label="Iterations", elem_id="iterations")
                    size = gr.Slider(64, min(1024, LIMITS.max_size), d.max_size, step=32,
                                     label="Output size (longer side, px)", elem_id="size")
                with gr.Row():
                    optimizer = gr.Dropdown(list(OPTIMIZERS), value=d.optimizer, label="Optimiser")
                    layers = gr.Dropdown(list(LAYER_PRESETS), value=d.layers, label="Layers")
                with gr.Accordion("Advanced", open=False):
                    with gr.Row():
                        style2 = PathImage(label="Second style (optional)", elem_id="style2")
                        init_image = PathImage(label="Initial image (for start: image)", elem_id="init_image")
                    blend = gr.Slider(0, 1, 0.5, step=0.05, label="Second style's share of the blend")
                    colours = gr.Radio(list(COLOUR_MODES), value=d.preserve_colors, label="Keep the photo's colours",
                                       info="luminance: transfer light only · match: recolour the painting first")
                    with gr.Row():
                        init = gr.Dropdown(list(UI_INITS), value=d.init, label="Start from")
                        seed = gr.Number(d.seed, precision=0, minimum=0, label="Seed")
                    style_scale = gr.Slider(0.25, 4, d.style_scale, step=0.05,
                                            label="Style scale (>1 finer strokes, <1 bigger strokes)")
                    multiscale = gr.Checkbox(d.multiscale, label=f"Coarse-to-fine (multi-scale): first "
                                                                 f"{d.coarse_iterations} iterations at each half size "
                                                                 f"from about 128 px up: larger structures, sooner "
                                                                 f"at large sizes")
                    strength = gr.Slider(0, 1, d.fast_strength, step=0.05, elem_id="strength",
                                         label="Instant: style strength (blends the model's picture with the photo)")
                    recipe_file = gr.File(label="Load a recipe (.json, or a PNG made here)",
                                          file_types=[".json", ".png"], elem_id="recipe_file")
                    gr.Markdown(f"Limits on this server: output up to {LIMITS.max_size} px, "
                                f"{LIMITS.max_iterations} iterations, uploads up to "
                                f"{LIMITS.max_upload_bytes // 1_000_000} MB and "
                                f"{LIMITS.max_input_pixels // 1_000_000} megapixels.")
            with gr.Column(scale=1):
                preview = gr.Image(label="Live preview", type="numpy", interactive=False, format="png",
                                   height=380, elem_id="preview")
                status = gr.Markdown("Ready.", label="Progress", elem_id="status")
                chart = gr.LinePlot(x="iteration", y="log10 loss", color="term", label="Losses", height=220)
                result = gr.File(label="Download PNG (full resolution)", interactive=False, elem_id="result")
                compare = gr.ImageSlider(label="Before / after", type="numpy", interactive=False, height=380)
                extras = gr.File(label="Recipe (JSON) and progress animation (GIF)", file_count="multiple",
                                 interactive=False, elem_id="extras")
                with gr.Accordion("Settings used", open=False):
                    used = gr.JSON(label="Settings used")
        for slider in (cw, sw, tv):
            slider.change(lambda v: gr.Slider(info=weight_info(v)), slider, slider, queue=False,
                          show_progress="hidden", api_visibility="private")
        knobs = [cw, sw, tv, iterations, size, optimizer, layers, blend, colours, init, style_scale, multiscale, seed]
        preset.change(apply_preset, preset, knobs + [preset_info, recipe_state], queue=False,
                      api_visibility="private")
        recipe_file.upload(load_recipe_file, recipe_file, knobs + [preset_info, recipe_state],
                           api_visibility="private")
        inputs = [content, style, preset, cw, sw, tv, iterations, size, optimizer, layers, style2, blend, colours,
                  init, init_image, style_scale, multiscale, seed, recipe_state, flags, uploads]
        assert inputs[RUN_INPUT_INIT] is init
        outputs = [preview, status, chart, result, compare, used, extras]
        gr.on([content.change, style.change, style2.change], prepare_run, inputs, None, concurrency_limit=1,
              concurrency_id="cpu", show_progress="hidden", api_visibility="private")
        # One concurrency group: runs, refinements and instant passes share the CPU one at a time.
        run_btn.click(run, inputs, outputs, api_name="stylize", concurrency_limit=1, concurrency_id="cpu")
        refine_btn.click(refine, inputs + [strength], outputs, api_name="refine", concurrency_limit=1,
                         concurrency_id="cpu")
        instant_btn.click(instant, [content, style, size, strength, uploads], [preview, status], api_name="instant",
                          concurrency_limit=1, concurrency_id="cpu")
        stop_btn.click(stop, flags, None, queue=False, api_name="stop")
        demo.unload(forget_session)
    demo.queue(max_size=int(os.environ.get("NST_QUEUE_SIZE", "16")))
    return demo


demo = build_demo()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Serve the neural style transfer app.")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    p.add_argument("--no-warmup", action="store_true", help="skip loading the models before serving")
    args = p.parse_args(argv)
    if not args.no_warmup:  # load the models and trace the step now, not on the first click
        threading.Thread(target=warm_up, kwargs={"fast": True}, name="warmup", daemon=True).start()
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                max_file_size=LIMITS.max_upload_bytes)


if __name__ == "__main__":
    main()
