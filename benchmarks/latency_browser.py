"""Interactive latency as a person meets it: in headless Chromium, both images already dropped,
from the click on Run to the first preview on the page, then the gaps between previews.

    python benchmarks/latency_browser.py [--runs 3]    (needs Debian's chromium and playwright)
"""
import argparse
import statistics

from common import CONTENT, STYLE, emit, require_images, start_app

WATCH = """() => { if (window.__watch) window.__watch.disconnect();
  window.__stamps = []; const first = document.querySelector('#preview img'); let last = first && first.src;
  window.__watch = new MutationObserver(() => { const i = document.querySelector('#preview img');
    if (i && i.src && i.src !== last) { last = i.src; window.__stamps.push(performance.now()); } });
  window.__watch.observe(document.body, {subtree: true, childList: true, attributes: true,
                                         attributeFilter: ['src']}); }"""


def set_number(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def drop_images(page, reset: bool = False) -> None:
    for zone, path in (("content", CONTENT), ("style", STYLE)):
        if reset:  # empty the drop zone first (its x button): a new drop, as a user makes it
            page.locator(f"#{zone} button[aria-label='Remove Image']").click()
        page.set_input_files(f"#{zone} input[type=file]", str(path))
        page.wait_for_selector(f"#{zone} img")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--port", type=int, default=7897)
    args = p.parse_args()
    require_images()
    from playwright.sync_api import sync_playwright

    proc, url = start_app(args.port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            page.goto(url)
            drop_images(page)
            # a first short run at 128 px: the start-up warm-up has finished once it is done
            set_number(page, "iterations", 2)
            set_number(page, "max_size", 128)
            page.click("#run")
            page.wait_for_function("() => document.querySelector('#status').innerText.includes('Done')",
                                   timeout=300_000)
            from nst_core import Settings

            defaults = Settings()  # then the page's defaults (512 px coarse-to-fine)
            set_number(page, "iterations", defaults.iterations)
            set_number(page, "max_size", defaults.max_size)
            for run in range(args.runs):
                if run == 0:  # a first click: the images dropped again just now, Run clicked at once
                    drop_images(page, reset=True)
                page.evaluate(WATCH)
                t0 = page.evaluate("() => performance.now()")
                page.click("#run")
                page.wait_for_function("() => document.querySelector('#status').innerText.includes('Done')"
                                       " && window.__stamps.length > 3", timeout=600_000)
                stamps = [(t - t0) / 1000 for t in page.evaluate("() => window.__stamps")]
                gaps = [b - a for a, b in zip(stamps, stamps[1:])]
                emit(kind="latency_browser", run=run, first_click=run == 0, first_preview_s=round(stamps[0], 2),
                     median_gap_s=round(statistics.median(gaps), 2), max_gap_s=round(max(gaps), 2),
                     previews=len(stamps), total_s=round(stamps[-1], 1))
            browser.close()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
