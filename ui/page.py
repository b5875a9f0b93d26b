"""The page's own CSS and the few lines of JavaScript its buttons run: plain strings for app.py."""

# On a narrow page the preview sits far below Run: bring it into view when a run starts.
# By CSS, so the API's outputs stay plain values: Vega draws the loss chart's legend below its plot,
# outside the box Gradio gives it, so let it show there; the downloads and the before/after slider
# show once they hold something, the before/after slider at the result's own size (not stretched to
# the column); Stop looks live only while a run goes (body[data-running]).
CSS = """#chart svg { overflow: visible; } #chart { padding-bottom: 4.5em; }
#result:not(:has(a)), #extras:not(:has(a)), #compare:not(:has(img)) { display: none; }
#compare .slider-wrap { display: flex; justify-content: center; }
#compare .slider-wrap > .wrap { width: fit-content; max-width: 100%; }
#compare .slider-wrap img { width: auto; max-width: 100%; }
body[data-running] #stop { background: var(--button-cancel-background-fill);
  color: var(--button-cancel-text-color); border-color: var(--button-cancel-border-color); }"""
RUN_ENDED = "() => { delete document.body.dataset.running; }"
SCROLL_TO_PREVIEW = ("(...args) => { document.body.dataset.running = '1'; if (window.innerWidth < 768) "
                     "document.querySelector('#preview')?.scrollIntoView({block: 'start'}); return args; }")
