"""Where the page's runs are painted: on this machine (the default), or on a Ray cluster when the
operator sets ``NST_RAY_ADDRESS`` (``ray://HOST:10001``, or ``auto`` for a Ray started here). Either
way the handlers call the same ``stylize``, ``stylize_video`` and ``fast_stylize``; on a cluster, the runs painted at
once follow its warm workers (``follow_slots``), and the rest wait in the page's queue as they do here."""
from __future__ import annotations

import logging
import os
import threading
import time

import nst_core
from nst_core import NSTError

log = logging.getLogger("nst_app")
FOLLOW_S = 2.0  # how soon a node that joined or left changes how many runs the page paints at once
CPU_GROUP = "cpu"  # the Gradio concurrency group of the runs (app.py's wiring)


class LocalPainter:
    """This machine, one run at a time (each run uses every core)."""

    remote = False

    @staticmethod
    def stylize(*args, **kwargs):
        return nst_core.stylize(*args, **kwargs)

    @staticmethod
    def fast_stylize(*args, **kwargs):
        return nst_core.fast_stylize(*args, **kwargs)

    @staticmethod
    def stylize_video(*args, **kwargs):
        from nst_core.video.clip import stylize_video  # TensorFlow and PyAV on a clip's first run only

        return stylize_video(*args, **kwargs)

    @staticmethod
    def slots() -> int:
        return 1


class ClusterPainter:
    """A Ray cluster's warm workers (nst_core.serving.remote): runs painted at once = its slots."""

    remote = True

    def __init__(self, painter, address: str):
        self.painter, self.address = painter, address
        self.stylize, self.fast_stylize, self.slots = painter.stylize, painter.fast_stylize, painter.slots
        self.stylize_video = painter.stylize_video


def cpus_per_run() -> int:
    """Cores each run reserves on the cluster (the operator's NST_RAY_CPUS_PER_RUN, default 1)."""
    try:
        return max(1, int(os.environ.get("NST_RAY_CPUS_PER_RUN", "1")))
    except ValueError:
        return 1


def painter_from_env(environ=os.environ):
    """The cluster named by NST_RAY_ADDRESS, else this machine. A cluster that cannot be reached is said
    in one line, and the page paints here."""
    address = (environ.get("NST_RAY_ADDRESS") or "").strip()
    if not address:
        return LocalPainter()
    from nst_core.serving.remote import connect  # Ray only when asked for: an optional extra

    try:
        return ClusterPainter(connect(address, cpus_per_run()), address)
    except NSTError as exc:
        print(f"NST_RAY_ADDRESS={address}: {exc}; painting on this machine instead", flush=True)
        return LocalPainter()


def follow_slots(demo, painter) -> None:
    """On a cluster: let Gradio start as many runs at once as the cluster has warm workers, followed
    every FOLLOW_S as nodes join or leave (the rest wait in its queue, their place shown)."""
    if not painter.remote:
        return

    def follow():
        while True:
            group = demo._queue.event_queue_per_concurrency_id.get(CPU_GROUP)
            if group is not None:
                group.concurrency_limit = max(1, painter.slots())
            time.sleep(FOLLOW_S)  # the cluster tells no one when a node joins: looked at again

    threading.Thread(target=follow, name="follow-slots", daemon=True).start()
