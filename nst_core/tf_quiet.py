"""Import TensorFlow without its start-up chatter on the user's terminal.

TensorFlow's C++ side prints several lines at import (oneDNN, CPU features, absl) even with
TF_CPP_MIN_LOG_LEVEL=3, straight to file descriptor 2, so silencing Python's stderr is not enough:
the descriptor itself is pointed at /dev/null for the duration of the import.
"""
from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()


def import_tensorflow():
    """Return the ``tensorflow`` module, imported quietly the first time."""
    with _lock:
        if "tensorflow" in sys.modules:
            return sys.modules["tensorflow"]
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")
            # Build the CPU device (it logs too) while stderr is still muted.
            tf.constant(0.0).numpy()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        return tf
