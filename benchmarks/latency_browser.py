"""The page against the engine, as a person meets it: in headless Chromium on a freshly started
server, from the click on Run to the first preview and to the final picture on the page, side by
side with the same run of the engine alone (``stylize`` in this process, the server idle), at the
defaults (512 px coarse-to-fine), on Tübingen x The Starry Night and a portrait.

    python benchmarks/latency_browser.py [--rounds 2]    (needs Debian's chromium and playwright)

The server's very first run is the first one timed: whatever a first run pays for must have been
paid at start-up. Rounds alternate engine and page so the machine's noise hits both alike.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

from common import CONTENT, ROOT, STYLE, emit, machine, require_images, start_app

PORTRAIT, PORTRAIT_STYLE = ROOT / "examples" / "astronaut.jpg", ROOT / "examples" / "the_scream.jpg"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# Every change of the preview's picture, with its time: the run's previews, then its result (stylized.png).
WATCH = """() => { if (window.__watch) window.__watch.disconnect();
  window.__stamps = []; const first = document.querySelector('#preview img'); let last = first && first.src;
  window.__watch = new MutationObserver(() => { const i = document.querySelector('#preview img');
    if (i && i.src && i.src !== last) { last = i.src; window.__stamps.push([performance.now(), i.src]); } });
  window.__watch.observe(document.body, {subtree: true, childList: true, attributes: true,
                                         attributeFilter: ['src']}); }"""


def drop_images(page, content, style, reset: bool) -> None:
    for zone, path in (("content", content), ("style", style)):
        if reset:  # empty the drop zone first (its x button): a new drop, as a user makes it
            page.locator(f"#{zone} button[aria-label='Remove Image']").click()
        page.set_input_files(f"#{zone} input[type=file]", str(path))
        page.wait_for_selector(f"#{zone} img")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(pid)
    return kids


def cpu_seconds(root: int, skip: int) -> float:
    """CPU seconds used so far by ``root``'s descendants, less ``skip``'s subtree (the server):
    the browser and its driver."""
    kids, total, todo = _children(), 0.0, list(_children().get(root, []))
    while todo:
        pid = todo.pop()
        if pid == skip:
            continue
        todo += kids.get(pid, [])
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def page_run(page, server_pid: int) -> dict:
    """Click Run; seconds to the first preview and to the final picture on the page, and the CPU
    seconds the browser used meanwhile (on these same two cores)."""
    page.evaluate(WATCH)
    browser_cpu = cpu_seconds(os.getpid(), server_pid)
    t0 = page.evaluate("() => performance.now()")
    page.click("#run")
    page.wait_for_function("() => window.__stamps.some(s => s[1].includes('stylized.png'))", timeout=900_000)
    stamps = [((t - t0) / 1000, src) for t, src in page.evaluate("() => window.__stamps")]
    final = next(t for t, src in stamps if "stylized.png" in src)
    took = page.locator("#status").inner_text()
    return {"first_preview_s": round(stamps[0][0], 2), "final_s": round(final, 1), "previews": len(stamps) - 1,
            "browser_cpu_s": round(cpu_seconds(os.getpid(), server_pid) - browser_cpu, 1),
            "server_says": took.split("took ")[1].split(" s")[0] if "took " in took else None}


def engine_run(content, style, settings) -> dict:
    from nst_core import stylize

    t = time.perf_counter()
    first = None
    for frame in stylize(content, style, settings):
        first = first or time.perf_counter() - t
    return {"first_preview_s": round(first, 2), "final_s": round(time.perf_counter() - t, 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--port", type=int, default=7897)
    args = p.parse_args()
    require_images()
    from playwright.sync_api import sync_playwright

    from nst_core import Settings, load_image, warm_up

    emit(kind="machine", **machine())
    t = time.perf_counter()
    proc, url = start_app(args.port)  # answers once its warm-up is done
    emit(kind="server_start", seconds_to_answer=round(time.perf_counter() - t, 1))
    settings = Settings(preview_every=1)  # the page's settings at the defaults
    warm_up(settings)  # the engine side, warm like the server
    pairs = {"tubingen x starry_night": (CONTENT, STYLE), "astronaut x the_scream": (PORTRAIT, PORTRAIT_STYLE)}
    results = {name: {"page": [], "engine": []} for name in pairs}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#run")
            for r in range(args.rounds):
                for i, (name, (content, style)) in enumerate(pairs.items()):
                    drop_images(page, content, style, reset=r + i > 0)
                    out = page_run(page, proc.pid)  # round 0, pair 0: the fresh server's first run
                    results[name]["page"].append(out)
                    emit(kind="page", pair=name, round=r, server_first_run=r + i == 0, **out)
                    out = engine_run(load_image(content), load_image(style), settings)
                    results[name]["engine"].append(out)
                    emit(kind="engine", pair=name, round=r, **out)
            browser.close()
    finally:
        proc.terminate()
    for name, res in results.items():
        page_s = statistics.median(o["final_s"] for o in res["page"])
        engine_s = statistics.median(o["final_s"] for o in res["engine"])
        emit(kind="overhead", pair=name, page_final_s=page_s, engine_final_s=engine_s,
             ratio=round(page_s / engine_s, 3), page_first_preview_s=[o["first_preview_s"] for o in res["page"]],
             engine_first_preview_s=[o["first_preview_s"] for o in res["engine"]])


if __name__ == "__main__":
    main()
