"""The state one run carries across its scales and through the loop: the settings in force,
steering, timing, the ETA and the Frames it makes. The whole-picture scales, the tiled ones and
video refine all hand it to the loop (:mod:`nst_core.optim.steps`)."""
from __future__ import annotations

import time

from ..control import STEERABLE, RunControl
from ..frame import Frame
from ..settings import Settings

# An iteration's fixed cost in pixels' worth: a step's time is about f + r * pixels, with f/r near
# 15000 px (fitted to a default run's three scales: docs/benchmarks.md, Estimates).
STEP_OVERHEAD_PX = 15000


class RunState:
    """The state one run carries across its scales: the settings in force, steering, timing. Local
    to one stylize() call (never shared between runs)."""

    def __init__(self, s: Settings, control: RunControl | None, work: list[tuple[float, int]], conv: str = "",
                 faces_pass: bool = False):
        self.conv = conv  # the convolution path in use, for the Frames (and so the recipe)
        self.s = s.replace(steering=())  # in force: weights as steered so far, steering as applied
        self.schedule = list(s.steering)  # a recipe's steering, replayed at its iterations
        self.control, self.t0 = control, time.perf_counter()
        # (pixels an iteration works on, iterations) per scale; a tiled scale counts tile-iterations.
        # An iteration's cost grows with the pixels: the ETA weighs what is left by it.
        self.work = work
        self.total = sum(n for _, n in work)
        # keep_faces' pass (the last entry of ``work``) repeats the last scale's size: not a scale of its own
        self.scale, self.scales, self.done = 0, len(work) - faces_pass, 0
        self._origin: tuple[float, float] | None = None  # (elapsed, work done) at the first ETA

    def steered(self, it: int) -> dict[str, float]:
        """Weights to change before iteration ``it + 1``: the recipe's, then any live ones."""
        changes = {}
        while self.schedule and self.schedule[0][0] <= it:
            changes.update(zip(STEERABLE, self.schedule.pop(0)[1:]))
        if self.control is not None:
            changes.update(self.control.take())
        changes = {k: v for k, v in changes.items() if getattr(self.s, k) != v}
        if changes:
            new = self.s.replace(**changes)
            self.s = new.replace(steering=self.s.steering + ((it, *(getattr(new, k) for k in STEERABLE)),))
        return changes

    @property
    def stopped(self) -> bool:
        return self.control is not None and self.control.stopped

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def eta(self, it: int, elapsed: float) -> float:
        """Seconds left, from the rate of the work done since the first preview: the time before it
        (decoding, the painting's Grams, tracing the step) is not paid again. An iteration's work is
        its pixels plus a fixed part (STEP_OVERHEAD_PX): small coarse scales cost more a pixel."""
        done = left = 0.0
        count = it
        for pixels, n in self.work:
            here = min(n, max(0, count))
            cost = pixels + STEP_OVERHEAD_PX
            done, left, count = done + cost * here, left + cost * (n - here), count - n
        if self._origin is None or done <= self._origin[1]:
            if done:
                self._origin = (elapsed, done)
            return elapsed * left / done if done else 0.0
        return (elapsed - self._origin[0]) * left / (done - self._origin[1])

    def frame(self, it: int, losses, image, **kw) -> Frame:
        elapsed = self.elapsed()
        faces = self.scale >= self.scales
        return Frame(it, self.total, losses, elapsed, image, settings=self.s, conv=self.conv,
                     scale=(min(self.scale + 1, self.scales), self.scales, max(image.shape[:2])), faces=faces,
                     eta_s=0.0 if kw.get("final") else self.eta(it, elapsed), **kw)
