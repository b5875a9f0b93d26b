"""One optimiser run's iterations, taking the run's Stop and Steer between them (whole picture or a tile)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Generator, Iterator, NamedTuple

import numpy as np

from ..imaging.images import to_uint8
from ..vgg.objective import TERMS
from .optimisers import make_optimiser

if TYPE_CHECKING:
    from ..frame import Frame
    from ..vgg.objective import Targets
    from .state import RunState


class Steps:
    """``for it, x in Steps(run, x0, n)``: the points to evaluate for iterations ``run.done + 1`` ..
    ``run.done + n``; the caller hands each one's loss and gradient to ``tell``. Ends early on Stop or
    when the optimiser has nothing left to try. Steered weights restart L-BFGS's history from the
    current point (``restarted`` is then True for that iteration: the best-so-far is of other weights).
    ``make(x, fresh)`` builds the optimiser (default: the run's own kind); ``fresh`` is True at a
    steered restart, where an optimiser that carries a history over must start without it."""

    def __init__(self, run, x0: np.ndarray, n: int, make: Callable | None = None):
        self.run, self.x0, self.n, self.restarted = run, x0, n, False
        self._make = make or (lambda x, fresh: make_optimiser(x, run.s))
        self.optimiser = None

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        run, x = self.run, self.x0
        self.optimiser = self._make(x, False)
        try:
            for it in range(run.done + 1, run.done + self.n + 1):
                if run.stopped:
                    break
                self.restarted = bool(run.steered(it - 1))
                if self.restarted:
                    self.optimiser.close()
                    self.optimiser = self._make(x, True)
                nxt = self.optimiser.ask()
                if nxt is None:
                    break
                x = nxt
                yield it, x
        finally:
            self.optimiser.close()

    def tell(self, loss: float, grad: np.ndarray) -> None:
        self.optimiser.tell(loss, grad)


def diverged(total: float, grad: np.ndarray, it: int) -> str:
    """"" while the loss and gradient are finite, else the run's one-line reason for stopping."""
    if math.isfinite(total) and np.isfinite(grad).all():
        return ""
    return (f"the loss became {total} at iteration {it}; stopped and kept the best image so far "
            f"(lower the learning rate or the weights)")


class Evaluation(NamedTuple):
    """The loss at a point, as the loop takes it from its ``evaluate``."""

    total: float
    parts: dict[str, float]  # the weighted terms by name ({"content", "style", "tv"}, maybe more)
    grad: np.ndarray  # like the point
    kept: Any = None  # kept beside the point if it is the best so far (a tile's sums)


class Outcome(NamedTuple):
    """What a run of the loop leaves: the best point, its losses (None if no step was taken), why it
    stopped early ("" unless it diverged) and the best point's ``Evaluation.kept``."""

    best: np.ndarray
    losses: dict[str, float] | None
    message: str
    kept: Any = None


Evaluate = Callable[[np.ndarray, "tuple[float, float, float]"], "Evaluation | None"]


def with_total(parts: dict[str, float], total: float) -> dict[str, float]:
    """A Frame's losses: the weighted terms and their total."""
    return {**parts, "total": total}


def unknown_losses() -> dict[str, float]:
    """The losses of a picture never evaluated (the run stopped or diverged before its first step)."""
    return with_total(dict.fromkeys(TERMS, math.nan), math.nan)


def _whole(x: np.ndarray, best: np.ndarray) -> np.ndarray:
    return to_uint8(x)


def optimise(evaluate: Evaluate, x0: np.ndarray, run: RunState, n: int, show: Callable, *,
             make: Callable | None = None, restarted: Callable[[], None] | None = None,
             picture: Callable[[np.ndarray, np.ndarray], np.ndarray] = _whole,
             **frame_fields) -> Generator[Frame, None, Outcome]:
    """The one loop: run an optimiser from ``x0`` for ``n`` iterations numbered from ``run.done + 1``,
    taking Stop and Steer between them, keeping the best point, stopping where the loss diverges.
    ``evaluate(x, (content, style, tv weights))`` gives the :class:`Evaluation` at x, or None when
    Stop came during it. ``make`` builds the optimiser (see :class:`Steps`); ``restarted()`` is told
    when steered weights restart it. Every ``preview_every`` iterations yields a Frame of
    ``show(picture(x, best))`` (default: x itself as uint8) with ``frame_fields``; returns the Outcome."""
    best, best_losses, kept, message = x0, None, None, ""
    steps = Steps(run, x0, n, make)
    for it, x in steps:
        if steps.restarted:  # new weights: the best so far was of the old ones
            best_losses = None
            if restarted is not None:
                restarted()
        got = evaluate(x, (run.s.content_weight, run.s.style_weight, run.s.tv_weight))
        if got is None:
            break
        message = diverged(got.total, got.grad, it)
        if message:
            break
        losses = with_total(got.parts, got.total)
        if best_losses is None or got.total <= best_losses["total"]:
            best, best_losses, kept = x.copy(), losses, got.kept
        steps.tell(got.total, got.grad)
        run.done = it
        if it % run.s.preview_every == 0 and it < run.total:
            yield run.frame(it, losses, show(picture(x, best)), **frame_fields)
    return Outcome(best, best_losses, message, kept)


def optimise_objective(objective, targets: Targets, x0: np.ndarray, run: RunState, n: int,
                       show, extra: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
                       free: np.ndarray | None = None) -> Generator[Frame, None, Outcome]:
    """:func:`optimise` over a compiled objective (:mod:`nst_core.vgg.objective`, or one wrapping it)
    and its targets, with the run's weights and style-layer weights: a whole-picture scale or a
    video frame. Without content targets, ``x0`` must be the content image: the first step then
    computes them on the way. ``extra(x)``: a term computed outside TensorFlow, (its weighted value,
    its gradient like x), added to the loss and gradient here, the one place they are formed, and
    reported as the "photo" term (photo mode's matting Laplacian). ``free`` [H, W, 1] in 0..1: how
    far each pixel may move, as a factor on its gradient (keep_faces' pass: a pixel with none is
    never moved by L-BFGS). Yields preview Frames; returns the Outcome."""
    s = run.s
    n_style = len(targets.style)
    layer_w = (tuple(1.0 / n_style for _ in range(n_style)) if s.normalization == "keras-io"  # sw / len
               else s.normalized_style_layer_weights)

    def evaluate(x, weights):
        nonlocal targets
        if targets.content is None:  # x is the content image; this step also yields its targets
            total, parts, grad, targets = objective.at_content(x, targets, weights, layer_w, s.tv_power)
        else:
            total, parts, grad = objective(x, targets, weights, layer_w, s.tv_power)
        if extra is not None:
            value, more = extra(x)
            total, parts, grad = total + value, {**parts, "photo": value}, grad + more
        if free is not None:
            grad = grad * free
        return Evaluation(total, parts, grad)

    return (yield from optimise(evaluate, x0, run, n, show))


def finish(loop: Generator[Frame, None, Outcome]) -> Outcome:
    """Run a loop whose previews nobody watches to its end (video refine)."""
    while True:
        try:
            next(loop)
        except StopIteration as done:
            return done.value
