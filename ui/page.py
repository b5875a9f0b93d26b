"""The page's own CSS and the few lines of JavaScript its buttons run: plain strings for app.py."""

# On a narrow page the preview sits far below Run: bring it into view when a run starts.
# By CSS, so the API's outputs stay plain values: Vega draws the loss chart's legend below its plot,
# outside the box Gradio gives it, so let it show there; the downloads and the before/after slider
# show once they hold something, the before/after slider at the result's own size (not stretched to
# the column); Stop looks live only while a run goes (body[data-running]); the subject's box field
# is the drag's script's, not the visitor's (ui/subject.py).
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
#mask img { background: #2b2b2b; object-fit: contain; }
#subject_box, .form:has(> #subject_box:only-child) { display: none !important; }
#content img.boxing { cursor: crosshair; }"""
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

# The subject's box, dragged over the content photo while the buttons it serves are on screen (the mask's
# section open): mouse down at one corner, the box drawn as it is dragged, up at the other. It goes to
# the hidden #subject_box field as "x,y,w,h" in the photo's own pixels (the picture's natural size;
# the img element may letterbox it), which Style the subject / the background send. A click that
# does not drag leaves the box as it was.
DRAG_BOX = """() => {
  const photo = () => document.querySelector('#content img');
  const field = () => document.querySelector('#subject_box textarea, #subject_box input');
  const serving = () => document.querySelector('#style_subject')?.getClientRects().length > 0;
  const frame = (img) => {
    const r = img.getBoundingClientRect(), w = img.naturalWidth, h = img.naturalHeight;
    const s = Math.min(r.width / w, r.height / h);
    return {x: r.left + (r.width - w * s) / 2, y: r.top + (r.height - h * s) / 2, s, w, h};
  };
  const hide = () => document.getElementById('subject_box_drawn')?.remove();
  const show = (img, x, y, w, h) => {
    const f = frame(img), holder = img.parentElement, at = holder.getBoundingClientRect();
    if (getComputedStyle(holder).position === 'static') holder.style.position = 'relative';
    let d = document.getElementById('subject_box_drawn');
    if (!d) { d = document.createElement('div'); d.id = 'subject_box_drawn'; }
    if (d.parentElement !== holder) holder.appendChild(d);
    Object.assign(d.style, {position: 'absolute', boxSizing: 'border-box', pointerEvents: 'none', zIndex: 5,
      border: '2px solid #ff2d6f', outline: '1px solid #fff', left: (f.x - at.left + x * f.s) + 'px',
      top: (f.y - at.top + y * f.s) + 'px', width: (w * f.s) + 'px', height: (h * f.s) + 'px'});
  };
  window.nstShowBox = (value) => {
    const img = photo(), m = /^(\\d+),(\\d+),(\\d+),(\\d+)$/.exec(value || '');
    if (!img || !m) return hide();
    show(img, ...m.slice(1).map(Number));
  };
  const point = (e, f) => [Math.min(f.w, Math.max(0, (e.clientX - f.x) / f.s)),
                           Math.min(f.h, Math.max(0, (e.clientY - f.y) / f.s))];
  const corners = (a, b) => {
    const x = Math.floor(Math.min(a[0], b[0])), y = Math.floor(Math.min(a[1], b[1]));
    return [x, y, Math.ceil(Math.max(a[0], b[0])) - x, Math.ceil(Math.max(a[1], b[1])) - y];
  };
  let start = null;
  document.addEventListener('pointerover', (e) => {
    if (e.target === photo()) e.target.classList.toggle('boxing', serving());
  });
  document.addEventListener('pointerdown', (e) => {
    const img = photo();
    if (e.button !== 0 || !img || e.target !== img || !serving() || !img.naturalWidth) return;
    e.preventDefault();  // not the browser's own drag of the picture, nor a text selection
    const f = frame(img);
    start = {img, f, from: point(e, f), x: e.clientX, y: e.clientY};
  });
  document.addEventListener('pointermove', (e) => {
    if (start) show(start.img, ...corners(start.from, point(e, start.f)));
  });
  document.addEventListener('pointerup', (e) => {
    if (!start) return;
    const s = start, input = field();
    start = null;
    if (!input || Math.max(Math.abs(e.clientX - s.x), Math.abs(e.clientY - s.y)) < 4) {
      return window.nstShowBox(input?.value);
    }
    input.value = corners(s.from, point(e, s.f)).join(',');
    input.dispatchEvent(new Event('input', {bubbles: true}));
  });
  window.addEventListener('resize', () => window.nstShowBox(field()?.value));
}"""
SHOW_BOX = "(box) => { window.nstShowBox?.(box); }"  # the field changed: dragged, cleared, a new photo
CLEAR_BOX = "() => ''"  # Clear box: no box (the browser's own; nothing to ask the server)
