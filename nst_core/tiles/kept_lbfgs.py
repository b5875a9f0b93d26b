"""L-BFGS on the pixel box whose curvature pairs outlive it: a tile's history from one visit to the next.

Why not scipy's L-BFGS-B for tiles visited several times: each visit starts it afresh, with no
curvature, so its first steps are short gradient steps; with the pairs carried from run to run,
several short runs come much closer to one long one (docs/print-sizes.md, Kept L-BFGS history). One
run of this is a little behind one of scipy's, so a tile with one visit keeps scipy's. Off by
default (``Settings.tile_history``): the kept pairs take a tiled picture further from the untiled
one, towards the painting (docs/print-sizes.md).

Projected L-BFGS: the two-loop direction over the free pixels (those not pressed against 0 or 255 by
it), a step of 1 (or STEP levels RMS with no pairs yet), halved until the loss falls enough (Armijo).
"""
from __future__ import annotations

import shutil
import tempfile
from typing import Generator

import numpy as np

from ..optim.optimisers import HIGH, LBFGS, LOW
from .spill import PairSpill

STEP = LBFGS.STEP  # pixel levels, RMS, of a step with no curvature to go by, as scipy's first
ARMIJO = 1e-4
HALVINGS = 12  # a line search gives up after this many; then the pairs are dropped once, then it ends

Pairs = list  # [(s, y)]: float32 [n] each, oldest first


class KeptLBFGS:
    """``ask()`` the next float32 pixels to evaluate (None: nothing left to try), ``tell(loss, grad)``
    there, ``close()``; ``pairs`` is the history to hand to the next run on the same variables."""

    def __init__(self, x0: np.ndarray, pairs: Pairs | None = None, history: int = 10):
        self.shape, self.history = x0.shape, history
        self.pairs: Pairs = list(pairs or [])[-history:]
        self._gen = self._run(np.clip(x0.astype(np.float64).ravel(), LOW, HIGH))
        self._next = next(self._gen)

    def ask(self) -> np.ndarray | None:
        return None if self._next is None else self._next.reshape(self.shape).astype(np.float32)

    def tell(self, loss: float, grad: np.ndarray) -> None:
        self._next = self._gen.send((float(loss), np.asarray(grad, np.float64).ravel()))

    def close(self) -> None:
        self._gen.close()

    def _direction(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        q, alphas = g.copy(), []
        for s, y in reversed(self.pairs):
            rho = 1.0 / float(np.dot(y, s))
            a = rho * float(np.dot(s, q))
            q -= a * y
            alphas.append((rho, a, s, y))
        if self.pairs:
            s, y = self.pairs[-1]
            q *= float(np.dot(s, y)) / float(np.dot(y, y))
        else:
            q *= STEP / (float(np.sqrt(np.mean(g * g))) or 1.0)
        for rho, a, s, y in reversed(alphas):
            q += (a - rho * float(np.dot(y, q))) * s
        d = -q
        d[((x <= LOW) & (d < 0)) | ((x >= HIGH) & (d > 0))] = 0.0  # pressed against the box: held
        return d

    def _run(self, x: np.ndarray) -> Generator:
        fx, g = yield x
        dropped = False
        while True:
            d = self._direction(x, g)
            step, accepted = 1.0, False
            for _ in range(HALVINGS):
                xn = np.clip(x + step * d, LOW, HIGH)
                fn, gn = yield xn
                if fn <= fx + ARMIJO * float(np.dot(g, xn - x)):
                    accepted = True
                    break
                step *= 0.5
            if not accepted:
                if dropped or not self.pairs:
                    yield None
                    return
                self.pairs, dropped = [], True  # stale curvature (the neighbours moved): once more without
                continue
            s, y = xn - x, gn - g
            if float(np.dot(s, y)) > 1e-10 * float(np.dot(y, y)):
                self.pairs = (self.pairs + [(s.astype(np.float32), y.astype(np.float32))])[-self.history:]
            x, fx, g, dropped = xn, fn, gn, False


DISK_MARGIN = 1 << 30  # bytes of the temporary directory's disk left free beside the tiles' pairs


def pair_store(sizes: list[int], visits: int, s) -> PairSpill | None:
    """Where the tiles' pairs (tile i: ``sizes[i]`` variables) wait between visits, or None when none
    are carried over: ``tile_history`` off, one visit a tile, an optimiser other than L-BFGS, or too
    little temporary disk (a 4096 px print with three visits needs about 6 GB; without, each visit
    starts afresh)."""
    if not s.tile_history or visits < 2 or s.optimizer != "lbfgs":
        return None
    need = PairSpill.bytes_for(sizes, s.lbfgs_history)
    if shutil.disk_usage(tempfile.gettempdir()).free < need + DISK_MARGIN:
        return None
    return PairSpill(sizes, s.lbfgs_history)


class TileHistory:
    """Tile i's optimisers for :class:`~nst_core.optim.steps.Steps` (called as its ``make``): each
    starts from the pairs the tile's last visit left, unless restarted afresh; ``keep()`` puts the
    last one's pairs back for the next visit."""

    def __init__(self, store: PairSpill, i: int, history: int):
        self.store, self.i, self.history = store, i, history
        self.last: KeptLBFGS | None = None

    def __call__(self, x: np.ndarray, fresh: bool) -> KeptLBFGS:
        self.last = KeptLBFGS(x, [] if fresh else self.store.get(self.i), self.history)
        return self.last

    def keep(self) -> None:
        self.store.put(self.i, self.last.pairs)
