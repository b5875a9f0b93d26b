"""The Space entry: the Gradio page's layout and wiring. No TensorFlow here (nst_core loads it on a run).

    python app.py [--host 0.0.0.0] [--port 7860] [--share]

Controls are declared once in ui/knobs.py; the handlers (ui/handlers.py) take and return values by name,
and ``wire`` gives each event its inputs and outputs by those names, which the API uses too."""
from __future__ import annotations

import argparse
import os

import gradio as gr

from nst_core import warm_up
from nst_core.presets import load_presets
from ui.admission import Line, turn_away_only_runs
from ui.cluster import follow_slots, painter_from_env
from ui.components import Dropdown, PathImage, Slider, example_rows
from ui.faces import faces_inputs, wire_faces
from ui.files import Files
from ui.handlers import Handlers, wire
from ui.knobs import ADVANCED, KNOBS, LIMITS, MAIN, WEIGHTS, follow_infos, print_size_controls
from ui.masks import mask_inputs, wire_masks
from ui.page import CSS, FOLLOW_STATUS, SCROLL_TO_PREVIEW
from ui.subject import SubjectHandlers, subject_buttons, wire_subject
from ui.video import video_tabs

PRESETS = load_presets()
# The run's inputs, in the API's order (content, style, preset, the weights, ... as before the registry).
RUN_INPUTS = ("content", "style", "preset", *(k.name for k in MAIN), "style2", "blend", "preserve_colors", "init",
              "init_image", "style_scale", "multiscale", "seed", "fast_strength", "recipe_state", "run_state",
              "uploads", "mask", "mask_feather", "print_size", "keep_faces", "photo")
OUTPUTS = ("preview", "status", "chart", "result", "compare", "used", "extras")


def _inputs(c: dict) -> None:
    """The left column: drop zones, buttons, examples, preset and knobs, into ``c`` by name."""
    with gr.Row():
        c["content"] = PathImage(label="Content photo", elem_id="content")
        c["style"] = PathImage(label="Style painting", elem_id="style")
    with gr.Row():
        c["run_btn"] = gr.Button("Run", variant="primary", elem_id="run")
        c["stop_btn"] = gr.Button("Stop", variant="secondary", elem_id="stop")  # red while a run goes (CSS)
    with gr.Row():
        c["instant_btn"] = gr.Button("Instant (about a second)", elem_id="instant")
        c["palette_btn"] = gr.Button("Palette only", elem_id="palette")  # the painting's colours, no strokes
        c["refine_btn"] = gr.Button("Refine (optimise from Instant)", elem_id="refine")
    c["fast_note"] = gr.Markdown("", visible=False, elem_id="fast_note")
    mask_inputs(c, subject_buttons)  # the brush, and the subject or the background in one click
    faces_inputs(c)
    c["preset"] = Dropdown([*PRESETS, "custom"], value="default", label="Preset", elem_id="preset", render=False)
    gr.Examples(example_rows(), [c["content"], c["style"], c["preset"]], label="Examples (public domain / CC0: "
                "examples/CREDITS.md)", examples_per_page=4)
    c["preset"].render()
    c["preset_info"] = gr.Markdown(PRESETS["default"].description)
    for row in (MAIN[3:5], MAIN[5:7]):
        with gr.Row():
            for knob in row:
                c[knob.name] = knob.make()
    c["print_size"], c["print_note"] = print_size_controls()
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            c["style2"] = PathImage(label="Second style (optional)", elem_id="style2")
            c["init_image"] = PathImage(label="Initial image (for start: image)", elem_id="init_image")
        c["blend"] = Slider(0, 1, 0.5, step=0.05, label="Second style's share of the blend", elem_id="blend")
        for knob in ADVANCED:
            c[knob.name] = knob.make()
        c["recipe_file"] = gr.File(label="Load a recipe (.json, or a PNG made here)", file_types=[".json", ".png"],
                                   elem_id="recipe_file")
        gr.Markdown(f"Limits on this server: output up to {LIMITS.max_size} px, {LIMITS.max_iterations} iterations, "
                    f"uploads up to {LIMITS.max_upload_bytes // 1_000_000} MB and {LIMITS.max_input_pixels // 1_000_000} MP.")


def _outputs(c: dict) -> None:
    """The right column: live preview, status, chart, downloads."""
    c["preview"] = gr.Image(label="Live preview", type="numpy", interactive=False, format="png", height=380,
                            elem_id="preview")
    c["status"] = gr.Markdown("Ready.", label="Progress", elem_id="status")
    c["stop_near"] = gr.Button("Stop", variant="secondary", elem_id="stop_near")  # phones: Stop beside the preview
    with gr.Group(elem_id="steer_box"):  # beside the picture they steer: moved while it paints, it follows them
        for knob in WEIGHTS:
            c[knob.name] = knob.make()
    c["chart"] = gr.LinePlot(x="iteration", y="log10 loss", color="term", label="Losses", height=300, elem_id="chart",
                             colors_in_legend=["content", "style", "tv", "total"])
    # the downloads appear once there is something to download
    c["result"] = gr.File(label="Download PNG (full resolution)", interactive=False, elem_id="result")
    c["compare"] = gr.ImageSlider(label="Before / after", type="filepath", interactive=False, elem_id="compare")
    c["extras"] = gr.File(label="Recipe (JSON) and progress animation (GIF)", file_count="multiple",
                          interactive=False, elem_id="extras")
    with gr.Accordion("Settings used", open=False):
        c["used"] = gr.JSON(label="Settings used")


def _wire(c: dict, h: Handlers, m: SubjectHandlers) -> None:
    def pick(*names):
        return {n: c[n] for n in names}

    cpu = {"concurrency_limit": 1, "concurrency_id": "cpu"}  # runs and instant passes take the CPU in turn
    private = {"api_visibility": "private"}
    follow_infos(c)  # each weight's value and what the iterations will count, said under their sliders
    wire_faces(c, h.files, wire)  # the faces keep_faces will keep, outlined as soon as it is ticked
    widgets = pick(*KNOBS, "blend", "preset_info", "recipe_state")
    c["preset"].change(**wire(h.apply_preset, pick("preset"), widgets), queue=False, **private)
    c["recipe_file"].upload(**wire(h.load_recipe, pick("recipe_file"), {**widgets, **pick("mask")}),
                            **private).then(**wire(m.shown, pick("mask_editor", "mask", "uploads"),
                                                   pick("mask_editor")), **private)
    wire_masks(c, m, wire)  # the brush, Invert, Clear and a mask file: the editor and the mask in step
    wire_subject(c, m)  # Style the subject / the background, and /subject_mask
    gr.on([c["content"].change, c["style"].change, c["style2"].change],
          **wire(h.prepare, pick(*RUN_INPUTS), pick("content", "style", "style2", "status")), show_progress="hidden",
          **cpu, **private)
    # The status line is the run's one voice: Gradio's own timer and error badge stay hidden (ui/page.py)
    for button, handler, name in (("run_btn", h.run, "stylize"), ("refine_btn", h.refine, "refine")):
        c[button].click(**wire(h.queued, pick("content", "style", "run_state"), pick("status", "line_timer")),
                        queue=False, show_progress="hidden", **private)
        c[button].click(**wire(handler, pick(*RUN_INPUTS), pick(*OUTPUTS)), api_name=name, js=SCROLL_TO_PREVIEW,
                        show_progress="hidden", **cpu)
    c["instant_btn"].click(**wire(h.instant, pick("content", "style", "max_size", "fast_strength", "uploads"),
                                  pick("preview", "status", "result")), api_name="instant", js=SCROLL_TO_PREVIEW,
                           show_progress="hidden", **cpu)
    c["palette_btn"].click(**wire(h.palette, pick("content", "style", "max_size", "uploads"), pick("preview", "status",
                           "result")), api_name="palette", js=SCROLL_TO_PREVIEW, show_progress="hidden",
                           concurrency_limit=2, concurrency_id="palette")  # numpy, 0.1 s: waits for no run
    gr.on([c["print_size"].change, c["content"].change, c["iterations"].release],  # a print size's time, before Run
          **wire(h.print_note, pick(*RUN_INPUTS), pick("print_note")), show_progress="hidden", concurrency_limit=2,
          concurrency_id="note", **private)  # queued and bounded: any caller can post to it
    # A knob moved by hand: the settings are no longer the preset's (its hidden values stay in the state).
    gr.on([c[n].input for n in KNOBS], lambda: "custom", None, c["preset"], queue=False, show_progress="hidden",
          **private)
    for button, api in (("stop_btn", {"api_name": "stop"}), ("stop_near", private)):  # stopped and said at once
        c[button].click(**wire(h.stopping, pick("run_state"), pick("status")), queue=False, show_progress="hidden",
                        **private)
        c[button].click(**wire(h.stop, pick("run_state")), queue=False, **api)  # the API's /stop (idempotent)
    c["line_timer"].tick(**wire(h.place, pick("run_state"), pick("status", "line_timer")), queue=False,
                         show_progress="hidden", **private)
    # A released weight slider steers the running run from its current picture (a no-op between runs).
    gr.on([c[k.name].release for k in WEIGHTS], **wire(h.steer, pick("run_state", *(k.name for k in WEIGHTS))),
          queue=False, show_progress="hidden", api_name="steer")


def build_demo() -> gr.Blocks:
    c: dict = {}
    with gr.Blocks(title="Neural style transfer", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# Neural style transfer\nDrop a photo and a painting, press **Run**, and watch "
                    "the photo being painted (Gatys et al. 2015, VGG19, on this server's CPU).")
        c["run_state"] = gr.State({})  # this visitor's key to their runs, for Stop, Steer and a reload
        c["browser"] = gr.BrowserState(None, storage_key="nst-run")  # the same key, kept by the browser
        c["uploads"] = gr.State({})  # this visitor's uploaded files' bytes (the files are removed at first use)
        c["recipe_state"] = gr.State(None)
        c["line_timer"] = gr.Timer(1.0, active=False)  # restates a queued run's place each second
        files = Files(demo.GRADIO_CACHE, demo.upload_file_set, [p for row in example_rows() for p in row[:2]])
        line = Line()  # when each visitor's run joined the queue: a Stop pressed while it waits is honoured
        handlers = Handlers(files, PRESETS, line=line, painter=painter_from_env())  # here, or NST_RAY_ADDRESS
        with gr.Tabs(elem_id="modes"):  # what it can do, a tab each: a picture (print sizes inside), a clip, the webcam
            with gr.Tab("Picture", elem_id="picture_tab"), gr.Row():
                with gr.Column(scale=1):
                    _inputs(c)
                with gr.Column(scale=1):
                    _outputs(c)
            demo.nst_video = video_tabs(demo, files, handlers.jobs, c["run_state"], c["browser"], line,
                                        handlers.painter)  # clips: jobs too, painted where the runs are
        _wire(c, handlers, SubjectHandlers(files))
        demo.load(**wire(handlers.fast_status, {}, {k: c[k] for k in ("instant_btn", "refine_btn", "fast_note")}),
                  concurrency_limit=None, api_visibility="private")
        # A reload or a new tab of the same browser finds its run again, live or finished.
        demo.load(**wire(handlers.attach, {k: c[k] for k in ("browser", "run_state")},
                         {k: c[k] for k in ("browser", *OUTPUTS)}),
                  concurrency_limit=None, show_progress="hidden", api_visibility="private")
        demo.load(None, js=FOLLOW_STATUS)  # Stop's and Run's look follow the status line, whatever set it
        demo.unload(handlers.forget_session)
    demo.queue()
    turn_away_only_runs(demo, int(os.environ.get("NST_QUEUE_SIZE", "16")), line)
    follow_slots(demo, handlers.painter)  # on a cluster: as many runs at once as it has warm workers
    demo.nst_handlers = handlers  # for tests and tools that call the handlers directly
    return demo


demo = build_demo()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Serve the neural style transfer app.")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    p.add_argument("--no-warmup", action="store_true", help="skip loading the models before serving")
    args = p.parse_args(argv)
    # load the models, time the convolutions and trace the step before serving (a cluster's workers do their own)
    if not args.no_warmup and not demo.nst_handlers.painter.remote:
        print("Loading the models and timing the convolutions (once per machine) ...", flush=True)
        warm_up(fast=True)  # the first visitor's first preview comes as fast as any later one's
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size=LIMITS.max_upload_bytes,
                css=CSS, state_session_capacity=int(os.environ.get("NST_MAX_SESSIONS", "2000")))  # oldest go past it


if __name__ == "__main__":
    main()
