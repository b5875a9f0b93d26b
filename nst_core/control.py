"""RunControl: commands to a running stylize() from another thread (a Stop button, a moved slider).

The run reads them between iterations, so a command takes effect within one iteration. It lives in
the caller's hands (one per run), never in a module global: the app's visitors share the process.
"""
from __future__ import annotations

import math
import threading

from .errors import SettingsError

STEERABLE = ("content_weight", "style_weight", "tv_weight")


class RunControl:
    """``stop()`` ends the run with its best image; ``steer(...)`` changes the loss weights from the
    current picture on. Thread-safe; a steer not yet taken is merged with the next."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = False
        self._pending: dict[str, float] = {}

    def stop(self) -> None:
        with self._lock:
            self._stop = True

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stop

    def steer(self, content_weight: float | None = None, style_weight: float | None = None,
              tv_weight: float | None = None) -> None:
        """New weights (None keeps one). Raises SettingsError for a negative or non-finite weight."""
        changes = {k: v for k, v in zip(STEERABLE, (content_weight, style_weight, tv_weight)) if v is not None}
        for name, value in changes.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise SettingsError(f"{name} must be a finite number >= 0, got {value!r}")
        with self._lock:
            self._pending.update({k: float(v) for k, v in changes.items()})

    def take(self) -> dict[str, float]:
        """The weights steered since the last call ({} if none): for the run loop."""
        with self._lock:
            out, self._pending = self._pending, {}
            return out
