"""What a visitor reads while a run goes: the status line and the loss chart's rows."""
from __future__ import annotations

import math

STEER_NAMES = {"content_weight": "content", "style_weight": "style", "tv_weight": "TV"}


def visitor_message(exc) -> str:
    """What a visitor reads for an NSTError: a model that will not load keeps its fix for the log."""
    from nst_core import ModelLoadError

    return ModelLoadError.VISITOR if isinstance(exc, ModelLoadError) else str(exc)


STOPPING = "**Stopping** — keeping the picture painted so far (within one iteration)."


def status_text(frame, steers: list[str] = (), stopping: bool = False) -> str:
    if frame.final:
        head = "Stopped" if frame.stopped else "Done"
        timing = f"took {frame.elapsed_s:.1f} s"
    else:
        head, timing = "Stopping" if stopping else "Painting", f"ETA {frame.eta_s:.0f} s"
    scale, scales, size = frame.scale
    where = f" · scale {scale} of {scales}, {size} px" if scales > 1 and not frame.final else ""
    if frame.faces and not frame.final:
        where = f" · the faces, {size} px"
    if frame.tile and not frame.final:  # a print size: which tile (outlined in the preview) and which pass
        where += f" · tile {frame.tile[0]} of {frame.tile[1]}, sweep {frame.tile[2]} of {frame.tile[3]}"
    losses = " · ".join(f"{k} {v:.4g}" for k, v in frame.losses.items())
    text = (f"**{head}** — iteration {frame.iteration} / {frame.total}{where} · "
            f"{frame.iterations_per_s:.2f} it/s · {timing}  \n{losses}")
    if frame.final and frame.stopped and scale < scales:  # the size it kept, said plainly
        text += (f"  \nThe picture is {size} px on its longer side: the run stopped at scale {scale} of "
                 f"{scales}, before the final size.")
    text += "".join(f"  \n↪ {s}" for s in steers)
    return text + (f"  \n⚠️ {frame.message}" if frame.message else "")


def chart_rows(frame) -> list[dict]:
    return [{"iteration": frame.iteration, "term": k, "log10 loss": math.log10(v) if v > 0 else None}
            for k, v in frame.losses.items()]


def steer_change(before, after, iteration: int) -> str | None:
    """'steered at iteration 12: style 20 → 50' when the weights differ, else None."""
    parts = [f"{label} {getattr(before, n):.3g} → {getattr(after, n):.3g}" for n, label in STEER_NAMES.items()
             if getattr(before, n) != getattr(after, n)]
    return f"steered at iteration {iteration}: {', '.join(parts)}" if parts else None


def steer_mark(rows: list[dict], iteration: int) -> list[dict]:
    """A vertical line on the chart at ``iteration``: its own series from the lowest loss to the highest."""
    values = [r["log10 loss"] for r in rows if r["log10 loss"] is not None and not r["term"].startswith("steered")]
    if not values:
        return []
    term = f"steered @{iteration}"
    return [{"iteration": iteration, "term": term, "log10 loss": v} for v in (min(values), max(values))]
