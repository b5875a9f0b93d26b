"""Is a change free? The default run at two commits, side by side: its time and its picture.

    python benchmarks/before_after.py BEFORE [AFTER] [--rounds 3]

Each commit is checked out in a temporary git worktree; each round runs one default run
(Tübingen x The Starry Night, Settings() as they are) in a fresh process of each commit in turn,
so the machine's noise hits both alike. Only the public API is used (it is the same at both).
Prints the machine, each run, then the medians, their ratio and whether the final pictures are
the same bytes. The warm-up (models, conv timing, tracing) is left out of the time, as the app
does it before serving.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import CONTENT, ROOT, STYLE, emit, machine, require_images

ONE_RUN = """
import hashlib, json, sys, time
sys.path.insert(0, ".")
from nst_core import Settings, load_image, stylize, warm_up
warm_up(Settings())
content, style = load_image(sys.argv[1]), load_image(sys.argv[2])
t = time.perf_counter()
*_, last = stylize(content, style, Settings())
print(json.dumps({"seconds": time.perf_counter() - t, "sha256": hashlib.sha256(last.image.tobytes()).hexdigest(),
                  "shape": list(last.image.shape)}))
"""


def run_at(tree: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(CONTENT), str(STYLE)], cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after", nargs="?", default="HEAD")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    require_images()
    emit(**machine())
    work = Path(tempfile.mkdtemp(prefix="nst-before-after-"))
    trees = {}
    try:
        for name in ("before", "after"):
            rev = getattr(args, name)
            trees[name] = work / name
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(trees[name]), rev], cwd=ROOT, check=True)
        runs = {name: [] for name in trees}
        for round_ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(run_at(tree))
                emit(round=round_, commit=getattr(args, name), **runs[name][-1])
        medians = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
        hashes = {name: {r["sha256"] for r in rs} for name, rs in runs.items()}
        emit(before=args.before, after=args.after, before_median_s=round(medians["before"], 2),
             after_median_s=round(medians["after"], 2), after_over_before=round(medians["after"] / medians["before"], 3),
             same_picture=hashes["before"] == hashes["after"] and len(hashes["before"]) == 1)
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
