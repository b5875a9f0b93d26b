"""L-BFGS, Adam and SGD behind one ask/tell interface, so the run loop owns the evaluations.

``x = opt.ask()`` gives the next pixels to evaluate (None when the optimiser has nothing left to
try), ``opt.tell(loss, grad)`` hands back the loss and gradient there, ``opt.close()`` ends it.
Pixels are float arrays in 0..255; every optimiser keeps them inside that box.
"""
from __future__ import annotations

import queue
import threading

import numpy as np
from .lbfgsb import minimize_box
from ..settings import Settings

LOW, HIGH = 0.0, 255.0


class _Cancelled(Exception):
    pass


class LBFGS:
    """scipy's L-BFGS-B (box-constrained to valid pixels; see ``nst_core.optim.lbfgsb``) run as a coroutine
    in a worker thread.

    scipy calls its objective when *it* wants to; the worker thread turns each of those calls into
    an ask/tell pair, so one L-BFGS state lives across all preview frames (never restarted at a
    preview). If scipy stops on its own (a line search that cannot progress) it is restarted from
    its last point with a fresh history; if that fails at once, ``ask`` returns None.
    """

    STEP = 2.0  # pixel levels, RMS, of the first step

    def __init__(self, x0: np.ndarray, history: int = 10):
        self.shape = x0.shape
        # Unbounded queues: neither side ever blocks on a put, so close() cannot deadlock.
        self._asks: queue.Queue = queue.Queue()   # worker -> run loop: points to evaluate
        self._tells: queue.Queue = queue.Queue()  # run loop -> worker: (loss, grad) or None
        self._thread = threading.Thread(target=self._work, args=(x0.astype(np.float64).ravel(), history),
                                        name="lbfgs", daemon=True)
        self._thread.start()

    def _fun(self, x: np.ndarray):
        self._asks.put(x)
        reply = self._tells.get()
        if reply is None:
            raise _Cancelled
        return reply

    def _work(self, x: np.ndarray, history: int) -> None:
        try:
            first = self._fun(x)
            # L-BFGS-B's first step has no curvature to go by: in pixel units it can move pixels by a
            # fraction of a level or slam them into the box, and at 1024 px each of the evaluations
            # it then spends finding the scale costs seconds. Optimising z = x / sigma with sigma from
            # the first gradient makes that first (Cauchy) step move pixels by STEP levels RMS;
            # later steps are unaffected (L-BFGS is invariant to a uniform scale once it has curvature).
            rms = float(np.sqrt(np.mean(np.square(first[1])))) or 1.0
            sigma = float(np.sqrt(self.STEP / rms))
            cached = [first]

            def fun(z):
                f, g = cached.pop() if cached else self._fun(z * sigma)
                return f, g * sigma

            z = x / sigma
            while True:
                z, nit = minimize_box(fun, z, LOW / sigma, HIGH / sigma, history)
                if nit == 0:
                    break
        except _Cancelled:
            pass
        finally:
            self._asks.put(None)

    def ask(self) -> np.ndarray | None:
        x = self._asks.get()
        return None if x is None else x.reshape(self.shape).astype(np.float32)

    def tell(self, loss: float, grad: np.ndarray) -> None:
        self._tells.put((float(loss), grad.astype(np.float64).ravel()))

    def close(self) -> None:
        """Stop the worker: its next (or current) wait for a reply raises, and scipy unwinds."""
        self._tells.put(None)
        self._thread.join()


class Adam:
    """Adam (Kingma and Ba) on the pixels, clipped to the valid box after every step."""

    def __init__(self, x0: np.ndarray, lr: float = 5.0, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.x = x0.astype(np.float32).copy()
        self.m = np.zeros_like(self.x)
        self.v = np.zeros_like(self.x)
        self.lr, self.b1, self.b2, self.eps, self.t = lr, beta1, beta2, eps, 0

    def ask(self) -> np.ndarray:
        return self.x

    def tell(self, loss: float, grad: np.ndarray) -> None:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * np.square(grad)
        m_hat = self.m / (1 - self.b1 ** self.t)
        v_hat = self.v / (1 - self.b2 ** self.t)
        self.x = np.clip(self.x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps), LOW, HIGH)

    def close(self) -> None:
        pass


class SGD:
    """Plain gradient descent with Keras' ExponentialDecay schedule: lr * decay^(t / steps)."""

    def __init__(self, x0: np.ndarray, lr: float = 100.0, decay: float = 0.96, decay_steps: int = 100,
                 per_first_gradient: bool = False):
        self.x = x0.astype(np.float32).copy()
        self.lr, self.decay, self.decay_steps, self.t = lr, decay, decay_steps, 0
        # With ``per_first_gradient`` the gradient is divided by the first one's RMS, so ``lr`` is the
        # first step's size in pixel levels (RMS), whatever the loss's scale.
        self.unit = None if per_first_gradient else 1.0

    def ask(self) -> np.ndarray:
        return self.x

    def tell(self, loss: float, grad: np.ndarray) -> None:
        if self.unit is None:
            self.unit = 1.0 / (float(np.sqrt(np.mean(np.square(grad)))) or 1.0)
        rate = self.lr * self.decay ** (self.t / self.decay_steps) * self.unit
        self.t += 1
        self.x = np.clip(self.x - rate * grad, LOW, HIGH)

    def close(self) -> None:
        pass


def _lbfgs(x0, s: Settings):
    return LBFGS(x0, s.lbfgs_history)


def _adam(x0, s: Settings):
    return Adam(x0, s.learning_rate or 5.0)


def _sgd(x0, s: Settings):
    # keras.io's rate 100 suits its summed loss; the mean-scaled loss has larger per-pixel
    # gradients for the same weights, and 1.0 is stable there from 96 px to 1024 px. The balanced
    # loss's gradients are far smaller and depend on the pair, so there the rate is in pixel levels
    # of the first step (2, as L-BFGS's first step).
    if s.normalization == "balanced":
        return SGD(x0, s.learning_rate or 2.0, s.lr_decay, s.lr_decay_steps, per_first_gradient=True)
    return SGD(x0, s.learning_rate or (100.0 if s.normalization == "keras-io" else 1.0), s.lr_decay, s.lr_decay_steps)


#: The registry: Settings.optimizer -> factory(x0, settings).
OPTIMISERS = {"lbfgs": _lbfgs, "adam": _adam, "sgd": _sgd}


def make_optimiser(x0: np.ndarray, settings: Settings):
    return OPTIMISERS[settings.optimizer](x0, settings)
