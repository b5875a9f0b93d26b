"""The app's event handlers. Each takes the inputs as a dict by name and returns outputs by name;
``wire`` turns one into what Gradio calls, with the names as the API's parameter names."""
from __future__ import annotations

import inspect
import os
import time
from typing import Callable

import gradio as gr
import pandas as pd

from nst_core import (NSTError, Settings, SettingsError, conv_choice, conv_in_use, expected_seconds,
                      fast_model_problem, load_image, palette_only, png_bytes, prepare)
from nst_core.imaging.animation import frame_for_gif, gif_bytes
from nst_core.imaging.images import check_size, fit_size, image_shape, load_rgba, resize, with_alpha
from nst_core.imaging.mask import load_mask
from nst_core.optim.memory import trim
from nst_core.recipe import read_mask, read_recipe, result_png, run_recipe
from nst_core.engine.schedule import plan

from .files import Files, PreviewFiles, write_files
from .admission import Line
from .cluster import LocalPainter
from .jobs import STOPPED_BEFORE, Jobs, browser_key, new_key
from .knobs import DEFAULTS, PRINT_OFF, WEIGHTS, from_log, settings_from, widget_values, with_print_size
from .masks import save_mask
from .report import STOPPING, chart_rows, status_text, steer_change, steer_mark, visitor_message

UI_UPDATE_S = 0.4  # at most this often a preview is pushed to the browser
CHART_EVERY_S = 6.0  # and the loss chart, which the browser redraws whole each time (Vega: the most costly part)
IMAGES = ("content", "style", "style2", "init_image", "mask")


SERVER_ONLY = ("xla", "memory_budget_mb")  # a loaded recipe does not set these on this server
REQUIRED = ("content", "style")  # what an API caller must pass; the rest defaults to the page's initial values


def wire(handler: Callable, inputs: dict, outputs: dict | None = None) -> dict:
    """Gradio's fn/inputs/outputs for ``handler(values: dict, request) -> {name: value} | None``.

    The function Gradio sees has one parameter per input name (so the API names them, with the
    components' initial values as defaults), and a gr.Request after them, which Gradio passes last."""
    names, outs = list(inputs), outputs or {}

    def convert(out):
        if not out:  # nothing to change: every output skipped (Gradio wants a value per output)
            return {c: gr.skip() for c in outs.values()} if outs else None
        return {outs[k]: v for k, v in out.items()}

    def split(args):
        request = args[-1] if len(args) > len(names) else None
        return dict(zip(names, args)), request

    if inspect.isasyncgenfunction(handler):
        async def fn(*args):
            async for out in handler(*split(args)):
                yield convert(out)
    elif inspect.isgeneratorfunction(handler):
        def fn(*args):
            for out in handler(*split(args)):
                yield convert(out)
    else:
        def fn(*args):
            return convert(handler(*split(args)))
    kind, empty = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty
    params = [inspect.Parameter(n, kind, default=empty if n in REQUIRED else getattr(inputs[n], "value", None))
              for n in names]
    params.append(inspect.Parameter("request", kind, default=None, annotation=gr.Request))
    fn.__signature__ = inspect.Signature(params)
    fn.__annotations__ = {"request": gr.Request}
    fn.__name__ = fn.__qualname__ = handler.__name__
    return {"fn": fn, "inputs": list(inputs.values()), "outputs": list(outs.values())}


def _session(request) -> str | None:
    return getattr(request, "session_hash", None)


def _state(v: dict) -> dict:
    """The visitor's session state (``run_state``), or a throwaway one where a caller passed none."""
    return v.get("run_state") if isinstance(v.get("run_state"), dict) else {}


NEED_IMAGES = "Drop a content photo and a style painting first."


def refusal(message: str) -> gr.Error:
    """A problem already shown on the page's status line: no toast, no traceback; an API caller
    gets the same line as its error."""
    return gr.Error(message, visible=False, print_exception=False)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _in_line(ahead: int) -> str:
    runs = "1 run" if ahead == 1 else f"{ahead} runs"
    return f"**Queued** — {runs} before yours; it starts when the CPU is free. **Stop** takes it out of the line."


def _missing_images(v: dict) -> bool:
    return v.get("content") is None or v.get("style") is None


def _styles(images: dict) -> list:
    return [images["style"]] + ([images["style2"]] if images["style2"] is not None else [])


class Handlers:
    """The handlers, over the app's file stores, presets and runs. No run state lives here: a run is
    a Job in ``jobs`` under the visitor's key, which sits in their session state (``run_state``) and
    their browser's storage, so Stop, Steer and a reloaded page reach it, and nobody else. ``painter``
    paints the runs: this machine, or a Ray cluster (ui/cluster.py), behind the same calls."""

    def __init__(self, files: Files, presets: dict, jobs: Jobs | None = None, line: Line | None = None,
                 painter=None):
        self.painter = painter or LocalPainter()
        self.files, self.presets, self.line = files, presets, line or Line()
        self.jobs = jobs or Jobs(slots=self.painter.slots)

    # ---- settings ------------------------------------------------------------------------------
    def run_settings(self, v: dict) -> Settings:
        """The preset (or a loaded recipe) with the knobs on top."""
        recipe = v.get("recipe_state")
        base = recipe if isinstance(recipe, Settings) else self.presets.get(
            v.get("preset"), self.presets["default"]).settings
        return with_print_size(settings_from(v, base), v.get("print_size"))

    def print_note(self, v: dict, request=None) -> dict:
        """Before Run, at a print size: the picture's size, its tiles and about how long it will take."""
        if v.get("print_size") in (None, PRINT_OFF):
            return {"print_note": gr.Markdown("", visible=False)}
        try:
            s = self.run_settings(v)
            images = self._images(v, remove=False)
            shape = (3, 4) if images["content"] is None else image_shape(images["content"], s.limits)  # no decode
            scales = plan(shape, s, conv_in_use(s))
        except NSTError as exc:
            return {"print_note": gr.Markdown(f"⚠️ {exc}", visible=True)}
        h, w = scales[-1].shape
        tiles = ", ".join(f"{sc.tiles} tiles at {max(sc.shape)} px{' together' if sc.joint else ''}"
                          for sc in scales if sc.tiles)
        expected, limit = expected_seconds(shape, s), s.limits.max_print_s
        photo = "" if images["content"] is not None else " (for a 4:3 photo; drop yours for its figure)"
        over = (f" · ⚠️ over this server's limit of {_duration(limit)} a print: lower the iterations"
                if expected > limit else " · **Stop** keeps the picture painted so far.")
        return {"print_note": gr.Markdown(
            f"**Print {max(h, w)} px**: {w}×{h}{photo}, painted tile by tile ({tiles}) · about "
            f"**{_duration(expected)}** on this server{over}", visible=True)}

    def apply_preset(self, v: dict, request=None) -> dict:
        """Picking a preset moves the sliders to its values; its hidden values (normalisation, TV power,
        ...) ride in the state, and stay there when the box turns to "custom" after a change by hand."""
        if v["preset"] not in self.presets:  # "custom": the knobs stay as they are
            return {"preset_info": "Custom: the knobs as you set them, on the last preset's other settings."}
        preset = self.presets[v["preset"]]
        return {**widget_values(preset.settings), "preset_info": preset.description, "recipe_state": preset.settings}

    def load_recipe(self, v: dict, request=None) -> dict:
        """A recipe (.json, or a PNG made here) sets every knob, and the mask if its run had one; its
        hidden values ride in the state."""
        if v.get("recipe_file") is None:
            raise gr.Error("Choose a recipe file (.json, or a PNG made by this app).")
        try:
            s, mask = read_recipe(v["recipe_file"]), read_mask(v["recipe_file"], DEFAULTS.limits)
        except NSTError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        # what no slider of the page sets stays the server's (a recipe is a visitor's data)
        s = s.replace(**{name: getattr(DEFAULTS, name) for name in SERVER_ONLY})
        if mask is not None:
            mask = save_mask(self.files, mask, request)
        return {**widget_values(s), "preset_info": "Loaded a recipe: **Run** reproduces it.", "recipe_state": s,
                "mask": mask}

    # ---- runs ----------------------------------------------------------------------------------
    def _images(self, v: dict, remove: bool = True) -> dict:
        """The drop zones' images by name, uploads swapped for their kept bytes."""
        images = self.files.take_uploads(v.get("uploads"), *(v.get(k) for k in IMAGES), remove=remove)
        return dict(zip(IMAGES, images))

    def prepare(self, v: dict, request=None) -> dict | None:
        """When an image is dropped: the painting's style targets for the coming run, computed now, so
        a click on Run goes straight to the first iteration; and a bad file is named now, once, on the
        status line, and taken out of its drop zone (which could only show a broken picture)."""
        images = self._images(v, remove=False)
        out, problem = {}, None
        for name, what in (("content", "content image"), ("style", "style image"), ("style2", "second style image")):
            try:
                if images[name] is not None:
                    image = load_image(images[name], DEFAULTS.limits, what)
                    check_size(image, what, image.shape[:2])  # a picture itself too small to paint
            except NSTError as exc:
                out[name], problem = None, problem or exc
        if problem is None and v.get("style") is not None and not self.painter.remote:  # a worker computes its own
            try:
                prepare(images["content"], _styles(images), self.run_settings({**v, **images}))
            except NSTError as exc:
                problem = exc
        trim()  # a large drop's decoded copies go back to the system, not into the heaps for good
        return {**out, **self._said(v, problem)}

    @staticmethod
    def _said(v: dict, problem: NSTError | None) -> dict:
        """The status line for a drop: the problem once (each drop zone's change runs prepare, and would
        name the same file again), or back to "Ready." once a drop has mended the last one."""
        state = _state(v)
        if problem is None:  # an emptied drop zone (the bad file taken out) mends nothing
            dropped = any(v.get(k) is not None for k in ("content", "style", "style2"))
            return {"status": "Ready."} if dropped and state.pop("warned", None) else {}
        if state.get("warned") == str(problem):
            return {}
        state["warned"] = str(problem)
        return {"status": f"⚠️ {problem}"}

    async def run(self, v: dict, request=None):
        """Start a run in a job of its own (it goes on if this page goes) and show it as it paints;
        or, if Stop was pressed while it waited in the queue, not at all."""
        if self.line.left(_session(request), _state(v).get("stop_at")):
            yield {"status": STOPPED_BEFORE}
            return
        if _missing_images(v):
            yield {"status": f"**Not run** — {NEED_IMAGES}"}
            raise refusal(NEED_IMAGES)
        images = self._images(v)
        key = self._key(v)
        job = self.jobs.start(key, lambda control: self._produce(v, images, key, control, request))
        async for out in job.watch():
            yield out

    def _produce(self, v: dict, images: dict, key: str, control, request):
        """The run itself, in its job's thread: previews as it paints, then the result: the PNG at
        once, then the before/after pair, settings, recipe and animation."""
        folder = self.files.results.new(key)
        previews = PreviewFiles(folder)
        rows, shown, steers, last, pushed, charted = [], [], [], None, -1.0, -1.0
        try:
            settings = self.run_settings({**v, **images})
            limit = self._time_limit(v, images["content"], settings)
            # read once, now: the brush writes a new mask file per stroke and the older ones go
            mask = None if images["mask"] is None else load_mask(self._mask_path(images["mask"], request),
                                                                settings.limits)
            in_force = settings
            for frame in self.painter.stylize(images["content"], _styles(images), settings,
                                              init_image=images["init_image"], mask=mask, control=control):
                rows += chart_rows(frame)
                change = steer_change(in_force, frame.settings, frame.iteration - 1)
                if change:  # a slider (or /steer) moved the weights: say so, and mark the chart
                    steers.append(change)
                    rows += steer_mark(rows, frame.iteration - 1)
                    charted = -CHART_EVERY_S
                in_force, last = frame.settings, frame
                if frame.elapsed_s > limit and not control.stopped:  # ends with its picture, and says why
                    control.stop()
                    steers.append(f"⏱ stopped at this server's limit of {_duration(limit)} a run; the picture "
                                  f"painted so far is kept")
                if not frame.final and frame.elapsed_s - pushed >= UI_UPDATE_S:
                    pushed = frame.elapsed_s
                    shown.append(frame_for_gif(frame.image))
                    out = {"preview": previews.write(frame.image, frame.tile[4:]),
                           "status": status_text(frame, steers, stopping=control.stopped)}
                    if frame.elapsed_s - charted >= CHART_EVERY_S:  # Vega redraws the whole chart each time
                        charted, out["chart"] = frame.elapsed_s, pd.DataFrame(rows)
                    yield out
        except NSTError as exc:  # said on the status line, where no earlier run's "Done" stays above it
            message = visitor_message(exc)  # Refine's model: the fix is in the log
            yield {"status": f"**Not run** — {message}"}
            raise refusal(message) from None
        finally:
            if last is None:
                previews.clear()
        if last is None:
            return
        result = os.path.join(folder, "stylized.png")
        write_files(folder, {"stylized.png": result_png(last, settings, mask)})
        # The picture first; the downloads' other files and the whole chart a moment later, off the wait.
        yield {"preview": result, "status": status_text(last, steers)}
        previews.clear()
        content, alpha = load_rgba(images["content"], settings.limits)  # decoded once more, known good
        before = with_alpha(resize(content, fit_size(content.shape[:2], max(last.image.shape[:2]))), alpha)
        paths = write_files(folder, {"before.png": png_bytes(before), "recipe.json": run_recipe(last, settings, mask)
                                     .encode(), "progress.gif": gif_bytes(shown + [frame_for_gif(last.image)])})
        # Every output, as plain values, not updates: an API client's last message is the whole result
        # (the page hides empty outputs by CSS).
        yield {"preview": result, "status": status_text(last, steers), "chart": pd.DataFrame(rows),
               "result": result, "compare": (paths["before.png"], result),
               "used": {**last.settings.to_dict(), **conv_choice(settings)},
               "extras": [paths["recipe.json"], paths["progress.gif"]]}
        self.files.results.keep_newest(key)  # this browser's earlier results are off its screen now

    @staticmethod
    def _time_limit(v: dict, content, settings: Settings) -> float:
        """This server's time limit for the run, in seconds (its operator's NST_MAX_RUN_S, or
        NST_MAX_PRINT_S at a print size); a run expected to take longer, on this server's timed speed,
        is refused before it starts."""
        printing = v.get("print_size") not in (None, PRINT_OFF)
        limit = settings.limits.max_print_s if printing else settings.limits.max_run_s
        expected = expected_seconds(image_shape(content, settings.limits, "content image"), settings)
        if expected > limit:
            raise SettingsError(f"this run would take about {_duration(expected)} on this server, which allows "
                                f"{_duration(limit)} a run{' at a print size' if printing else ''}: lower the "
                                f"iterations or the size")
        return limit

    def _mask_path(self, path, request):
        """The Mask drop zone's file; if the page named one of the session's masks that a newer one
        (a stroke, Invert, the editor's echo) has replaced since, that newer one: the mask on screen."""
        if isinstance(path, str) and path in self.files.results and not os.path.exists(path):
            return self.files.results.newest(_session(request), "mask", "mask.png") or path
        return path

    async def refine(self, v: dict, request=None):
        """The optimisation, starting from the fast path's picture instead of the photo."""
        async for out in self.run({**v, "init": "fast"}, request):
            yield out

    @staticmethod
    def _key(v: dict) -> str:
        """This visitor's key to their runs: the browser's (set on page load), else one made now
        (an API client's session)."""
        return _state(v).setdefault("key", new_key())

    def _running(self, v: dict):
        job = self.jobs.get(_state(v).get("key"))
        return job if job is not None and job.running else None

    async def attach(self, v: dict, request=None):
        """On page load: the browser's key (made on its first visit), and its run, live where it is
        or finished with its result, if it has one (a reload, a dropped connection)."""
        key = browser_key(v["run_state"], v.get("browser"))
        yield {"browser": key}
        job = self.jobs.get(key)
        if job is not None:
            async for out in job.watch(raise_error=False):  # a failed run's status says why; no toast again
                yield out

    def stop(self, v: dict, request=None) -> None:
        """Stop this visitor's run: the running one within an iteration, one waiting for the CPU at
        once, and one still in Gradio's queue when it leaves it (the Stop's time is kept for it)."""
        job = self._running(v)
        if job is not None:
            job.control.stop()
        elif isinstance(v.get("run_state"), dict):
            v["run_state"]["stop_at"] = time.monotonic()

    def queued(self, v: dict, request=None) -> dict | None:
        """Run pressed: where the run stands in the line, at once (it starts when the CPU is free); while
        others are ahead, the line's timer restates the place (``place``) until the run starts."""
        if _missing_images(v):  # the run itself says so in a moment
            return None
        ahead = self._ahead(_session(request))
        if not ahead:
            return {"status": "**Starting** — reading the pictures; the first preview comes in a moment."}
        return {"status": _in_line(ahead), "line_timer": gr.Timer(active=True)}

    def place(self, v: dict, request=None) -> dict:
        """The line's timer ticked: the run's place now, or the timer off once it has left the line or
        was stopped (the run's own status then speaks)."""
        session, stop_at = _session(request), _state(v).get("stop_at")
        joined = self.line.joined_at(session)
        if joined is None or (stop_at is not None and stop_at >= joined):
            return {"line_timer": gr.Timer(active=False)}
        return {"status": _in_line(self._ahead(session))}

    def _ahead(self, session: str | None) -> int:
        """Runs before this session's: those that joined the line earlier, and the one holding the CPU."""
        return self.line.ahead_of(session) + (1 if self.jobs.cpu.locked() else 0)

    def stopping(self, v: dict, request=None) -> dict | None:
        """Stop, and what it does on the status line at once: stopping a run, or taking one out of the line.
        One request does both: a tick of the line's timer between them restated the place of a run just
        taken out of the line, and a page reloaded right after the click could lose a second request.
        The run's own last status comes after this one: it is made once the iteration in hand ends."""
        job = self._running(v)
        self.stop(v, request)
        if job is not None:
            return {"status": STOPPING}
        if self.line.waiting(_session(request)):
            return {"status": STOPPED_BEFORE}
        return None

    def steer(self, v: dict, request=None) -> None:
        """The weight sliders moved: the running run (if any) goes on from its picture with them."""
        job = self._running(v)
        if job is None:
            return
        try:
            job.control.steer(**{k.name: from_log(v[k.name]) for k in WEIGHTS if k.name in v})
        except NSTError as exc:
            raise gr.Error(str(exc)) from None

    def instant(self, v: dict, request=None):
        """The fast path: one pass of the Magenta model, shown at once."""
        if _missing_images(v):
            yield {"status": f"**Not run** — {NEED_IMAGES}"}
            raise refusal(NEED_IMAGES)
        content, style = self.files.take_uploads(v.get("uploads"), v["content"], v["style"])
        try:
            s = DEFAULTS.replace(max_size=int(v["max_size"]), fast_strength=float(v["fast_strength"]))
            image = self.painter.fast_stylize(content, style, s)
        except NSTError as exc:  # a model that will not load: the operator's fix is in the log
            message = visitor_message(exc)
            yield {"status": f"**Not run** — {message}"}
            raise refusal(message) from None
        session = _session(request)
        path = write_files(self.files.results.new(session, "instant"), {"instant.png": png_bytes(image)})["instant.png"]
        yield {"preview": path, "result": path,
               "status": (f"**Instant** — one pass of the Magenta model at strength {v['fast_strength']:g}. "
                          f"**Refine** continues from it with the optimisation.")}
        self.files.results.keep_newest(session, "instant")  # reached once Gradio has sent the picture

    def palette(self, v: dict, request=None):
        """Palette only: the painting's colours on the photo, without its strokes (numpy, a few
        hundredths of a second: it waits for no run)."""
        if _missing_images(v):
            yield {"status": f"**Not run** — {NEED_IMAGES}"}
            raise refusal(NEED_IMAGES)
        content, style = self.files.take_uploads(v.get("uploads"), v["content"], v["style"])
        try:
            image = palette_only(content, style, DEFAULTS.replace(max_size=int(v["max_size"])))
        except NSTError as exc:
            yield {"status": f"**Not run** — {exc}"}
            raise refusal(str(exc)) from None
        session = _session(request)
        path = write_files(self.files.results.new(session, "palette"), {"palette.png": png_bytes(image)})["palette.png"]
        yield {"preview": path, "result": path,
               "status": "**Palette only** — the painting's colours on the photo, without its strokes. "
                         "**Run** or **Instant** paints them too."}
        self.files.results.keep_newest(session, "palette")  # reached once Gradio has sent the picture

    def fast_status(self, v: dict, request=None) -> dict:
        """On page load: Instant and Refine are on only if the fast-path model loads; else why not."""
        problem = None if self.painter.remote else fast_model_problem(DEFAULTS)  # a worker says so on Instant
        on = problem is None
        return {"instant_btn": gr.Button(interactive=on), "refine_btn": gr.Button(interactive=on),
                "fast_note": gr.Markdown(problem or "", visible=not on)}

    def forget_session(self, request: gr.Request) -> None:
        """The tab closed: its results are no longer on any screen."""
        self.files.results.forget(_session(request))

