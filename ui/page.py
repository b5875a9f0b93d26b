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
#stop_near { display: none; }
@media (max-width: 767px) { #stop_near { display: flex; } }
body[data-running] :is(#stop, #stop_near) { background: var(--button-cancel-background-fill);
  color: var(--button-cancel-text-color); border-color: var(--button-cancel-border-color); }
body[data-running] #run, body[data-running] #refine { opacity: 0.6; }
#mask img { background: #2b2b2b; object-fit: contain; }"""
SCROLL_TO_PREVIEW = ("(...args) => { if (window.innerWidth < 768) "
                     "document.querySelector('#preview')?.scrollIntoView({block: 'start'}); return args; }")
# The status line is the one truth about the run: its first bold word says the state, and Stop's colour
# (body[data-running]) follows it, whatever set it: a run, Stop, a failure, a reloaded page re-attaching.
LIVE_STATES = ("Starting", "Queued", "Waiting", "Painting", "Stopping")
FOLLOW_STATUS = """() => {
  const live = %s;
  const follow = () => {
    const head = (document.querySelector('#status strong')?.textContent || '').trim();
    if (live.includes(head)) document.body.dataset.running = '1'; else delete document.body.dataset.running;
  };
  const box = document.querySelector('#status');
  if (box) new MutationObserver(follow).observe(box, {subtree: true, childList: true, characterData: true});
  follow();
}""" % list(LIVE_STATES)
