"""Who a full queue turns away (new runs only, never Stop, Steer, a slider or a page coming back),
and when each session's run joined the line, so that a Stop pressed while it waits is honoured."""
from __future__ import annotations

import collections
import threading
import time

from gradio import route_utils


class Line:
    """When each session's latest run joined Gradio's queue (monotonic seconds), bounded in sessions.

    A Stop pressed while a run still waits in Gradio's queue has no job to reach yet: the Stop's time
    is kept in the session's state, and the run, once it leaves the queue, compares it with the time
    it joined (``stopped_while_waiting``)."""

    def __init__(self, max_sessions: int = 4096):
        self.max_sessions = max_sessions
        self._joined: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._lock = threading.Lock()

    def joined(self, session: str | None, when: float | None = None) -> None:
        if not session:
            return
        with self._lock:
            self._joined[session] = time.monotonic() if when is None else when
            self._joined.move_to_end(session)
            while len(self._joined) > self.max_sessions:
                self._joined.popitem(last=False)

    def joined_at(self, session: str | None) -> float | None:
        with self._lock:
            return self._joined.get(session) if session else None

    def ahead_of(self, session: str | None) -> int:
        """How many runs joined the line before this session's and have not started."""
        with self._lock:
            mine = self._joined.get(session) if session else None
            return sum(1 for t in self._joined.values() if mine is None or t < mine)

    def waiting(self, session: str | None) -> bool:
        """This session has a run in Gradio's queue that has not started."""
        return self.joined_at(session) is not None

    def left(self, session: str | None, stop_at: float | None) -> bool:
        """The session's run leaves the line to start; True if a Stop (at ``stop_at``) came after it
        joined: it is not to run."""
        with self._lock:
            joined = self._joined.pop(session, None) if session else None
        return joined is not None and stop_at is not None and stop_at >= joined


# The events whose place in the line a Stop can take back, and what follows the session in their
# line entry: a visitor's clip waits apart from their picture run, and each Stop takes back its own.
RUNS = {"stylize": "", "refine": "", "stylize_video": "/clip"}


def turn_away_only_runs(demo, max_waiting: int, line: Line, groups: tuple[str, ...] = ("cpu", "live")) -> None:
    """Bound the events of the concurrency ``groups`` (the runs and clips, which wait for the CPU, and
    the webcam streams) to ``max_waiting`` waiting at once, and nothing else; note in ``line`` when
    each session's run joined.

    Gradio's own ``queue(max_size=...)`` turns away *every* event once that many wait, queue=False
    ones too: with 16 visitors in line, the one painting could not press Stop or move a slider, and a
    reloaded page could not find its run again (its load events were refused). So the queue itself
    is left unbounded and the same check, with Gradio's own message, is made where Gradio makes it
    (on joining), for the runs alone. tests/test_queue.py holds it to that through the real server.
    """
    queue = demo._queue
    queue.max_size = None
    join = queue.push

    async def push(body, request, username):
        fn = route_utils.get_fn(queue.blocks, None, body) if body.fn_index is not None else None
        if fn is not None and fn.concurrency_id in groups:
            if len(queue) >= max_waiting:
                return False, f"Queue is full. Max size is {max_waiting} and size is {len(queue)}.", "queue_full"
            if fn.api_name in RUNS and body.session_hash:
                line.joined(body.session_hash + RUNS[fn.api_name])
        return await join(body, request, username)

    queue.push = push
