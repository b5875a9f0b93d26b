"""Who a full queue turns away: new runs only, never Stop, Steer, a slider or a page coming back."""
from __future__ import annotations

from gradio import route_utils


def turn_away_only_runs(demo, max_waiting: int, group: str = "cpu") -> None:
    """Bound the events of concurrency ``group`` (the runs, which wait for the CPU) to ``max_waiting``
    waiting at once, and nothing else.

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
        if fn is not None and fn.concurrency_id == group and len(queue) >= max_waiting:
            return False, f"Queue is full. Max size is {max_waiting} and size is {len(queue)}.", "queue_full"
        return await join(body, request, username)

    queue.push = push
