"""Where the app's files live and when they go: uploads, result folders, a run's live previews.

Everything Gradio-owned (its cache folder, its record of uploads) is handed in by ``build_demo``: nothing here reaches for a module-level ``demo``.
"""
from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

PREVIEW_SIDE = 768  # px: the preview box is 380 px high, half a wide page across
PREVIEW_GRACE_S = 30.0  # s a sent preview may still be fetched (a slow link, a busy server)
KEPT_UPLOADS = 8  # uploaded files kept (as bytes) per session for re-runs: the four drop zones, twice


class UploadStore:
    """Recently used uploads' bytes, shared by all sessions, bounded in bytes.

    Gradio names an upload's folder by the SHA-256 of its contents, so two visitors who drop the same
    file get the same path: when one run removes the file, the other's drop zone still points at it.
    Keys are those content-addressed paths, so a caller can only get bytes it already holds.
    """

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes, self.items, self.lock = max_bytes, collections.OrderedDict(), threading.Lock()

    def put(self, path: str, data: bytes) -> None:
        with self.lock:
            self.items[path] = data
            self.items.move_to_end(path)
            while sum(map(len, self.items.values())) > self.max_bytes and len(self.items) > 1:
                self.items.popitem(last=False)

    def get(self, path: str) -> bytes | None:
        with self.lock:
            return self.items.get(path)


class ResultFolders:
    """Each result's files in a folder of their own, named at random, inside Gradio's cache.

    Gradio would copy returned files into folders named by their contents, so two visitors with the
    same inputs and seed would share one result file and neither could safely delete it. Here every
    run gets its own folder (Gradio serves files already in its cache as they are), so its files can
    go when they are no longer on anyone's screen: a session's earlier results of a kind (a run's
    files, or an Instant picture) when a newer one has been delivered, all when its tab closes.
    Callers of the bare HTTP API get a new session per call, so at most ``max_folders`` results are
    kept in all, and Gradio's hourly sweep remains the backstop.
    """

    def __init__(self, cache_dir: str | None = None, max_folders: int = 64):
        self.root = os.path.join(cache_dir or tempfile.gettempdir(), "nst-results")
        self.max_folders, self.lock = max_folders, threading.Lock()
        self.folders: collections.OrderedDict[tuple, list[str]] = collections.OrderedDict()

    def new(self, session: str | None, kind: str = "run") -> str:
        os.makedirs(self.root, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="run-", dir=self.root)  # unguessable: not derived from the picture
        with self.lock:
            self.folders.setdefault((session, kind), []).append(folder)
            self.folders.move_to_end((session, kind))
            surplus = sum(map(len, self.folders.values())) - self.max_folders
            old = [f for folders in self.folders.values() for f in folders][:max(0, surplus)]
            for key, folders in list(self.folders.items()):
                folders[:] = [f for f in folders if f not in old]
                if not folders:  # one-call sessions must not leave an entry each behind
                    del self.folders[key]
        _remove(old)
        return folder

    def keep_newest(self, session: str | None, kind: str = "run", keep: int = 1) -> None:
        """Called once a result is on the visitor's screen: the ones before the ``keep`` newest are gone
        from it."""
        with self.lock:
            folders = self.folders.get((session, kind), [])
            old = folders[:-keep]
            del folders[:-keep]
        _remove(old)

    def newest(self, session: str | None, kind: str, name: str) -> str | None:
        """The path of ``name`` in the session's newest folder of ``kind``, if there is one."""
        with self.lock:
            folders = self.folders.get((session, kind), [])
            path = os.path.join(folders[-1], name) if folders else None
        return path if path and os.path.exists(path) else None

    def forget(self, session: str | None) -> None:
        with self.lock:
            old = [f for key in list(self.folders) if key[0] == session for f in self.folders.pop(key)]
        _remove(old)

    def __contains__(self, path: str) -> bool:
        return os.path.basename(os.path.dirname(os.path.dirname(path))) == "nst-results"


def _remove(folders: list[str]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def write_files(folder: str, files: dict[str, bytes]) -> dict[str, str]:
    """Write ``files`` (name -> bytes) into ``folder``; return name -> path."""
    paths = {}
    for name, data in files.items():
        paths[name] = os.path.join(folder, name)
        with open(paths[name], "wb") as f:
            f.write(data)
    return paths


class PreviewFiles:
    """A run's live previews, each encoded once (JPEG, at most ``PREVIEW_SIDE`` px, the size the page
    shows them) into the run's own folder, however many pages watch it. A preview goes once ``keep``
    newer ones exist and it is ``grace_s`` old: a browser may still be fetching it that long after it
    was sent (a bf16 run sends several a second, and a preview deleted under a fetch is a traceback in
    the server's log and a broken image). ``clear`` removes the old ones once the result is there; the
    rest go with the run's folder.

    JPEG, not PNG: a default run shows about 50 previews, encoded on the cores the run paints with, and
    a JPEG costs a small fraction of a PNG's time to encode and bytes to send (docs/benchmarks.md)."""

    def __init__(self, folder: str, keep: int = 3, grace_s: float = PREVIEW_GRACE_S, clock=time.monotonic):
        self.folder, self.keep, self.grace_s, self.clock = folder, keep, grace_s, clock
        self.paths: list[tuple[float, str]] = []  # (written at, path), oldest first
        self.count = 0

    def write(self, image: np.ndarray, box: tuple = ()) -> str:
        """The preview as a JPEG of at most PREVIEW_SIDE px; ``box`` (y0, y1, x0, x1 in the image's
        pixels) outlines the tile a print size is painting."""
        im = Image.fromarray(image)
        if max(im.size) > PREVIEW_SIDE:
            im.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.BILINEAR)
        if box:
            k = im.size[0] / image.shape[1]
            y0, y1, x0, x1 = (round(v * k) for v in box)
            ImageDraw.Draw(im).rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 255, 255), width=2)
        self.count += 1
        path = os.path.join(self.folder, f"preview-{self.count}.jpg")
        im.save(path, "JPEG", quality=85)
        self.paths.append((self.clock(), path))
        self._drop(self.keep)
        return path

    def clear(self) -> None:
        """Remove every preview no browser can still be fetching."""
        self._drop(0)

    def _drop(self, keep: int) -> None:
        now = self.clock()
        while len(self.paths) > keep and now - self.paths[0][0] >= self.grace_s:
            _unlink(self.paths.pop(0)[1])


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class Files:
    """The app's file stores, made by build_demo with Gradio's cache folder and file sets."""

    def __init__(self, cache_dir: str | None = None, uploaded: set | None = None, examples=()):
        self.uploads, self.results = UploadStore(), ResultFolders(cache_dir)
        self.uploaded = set() if uploaded is None else uploaded  # Gradio's record of received uploads
        # Gradio files an upload by its bytes' hash, so an upload of an example picture is the very file
        # the page shows as that example's thumbnail: such a file is never removed.
        self.example_digests = {_digest(Path(p).read_bytes()) for p in examples}

    def take_uploads(self, kept: dict | None, *images, remove: bool = True):
        """The images with each uploaded file swapped for its bytes, kept in the visitor's session state.

        The file is removed from the server's disk at its first use by a run, so no upload outlives
        the run that decoded it; a re-run with the same drop zones reads the kept bytes. Work done as
        a file is dropped (``remove=False``) leaves it, as the browser is still fetching it to show it
        in the drop zone; an upload never run goes with Gradio's hourly sweep. Example files and
        anything Gradio did not receive as an upload are left alone. The last KEPT_UPLOADS images stay kept.
        """
        if kept is None:
            return images
        out = []
        for image in images:
            if isinstance(image, str) and image in self.uploaded:
                if os.path.isfile(image):
                    with open(image, "rb") as f:
                        kept[image] = f.read()
                    self.uploads.put(image, kept[image])
                    if remove and _digest(kept[image]) not in self.example_digests:
                        _unlink(image)
                elif image not in kept and (data := self.uploads.get(image)) is not None:  # another visitor removed it
                    kept[image] = data
            if isinstance(image, str) and image in kept:
                kept[image] = kept.pop(image)  # most recently used last
                image = kept[image]
            out.append(image)
        while len(kept) > KEPT_UPLOADS:
            del kept[next(iter(kept))]
        return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
