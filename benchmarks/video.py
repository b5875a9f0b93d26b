"""Video: flicker, style and speed of stylize_video() on clips with known motion made from the shipped photos.

    python benchmarks/video.py [--work /tmp/nst-video] [--frames 48] [--speed | --speed-only | --refine N]

For each clip (a slow pan and zoom across coffee.jpg; chelsea.jpg crossing astronaut.jpg while the
camera pans), at 512x288, 24 fps, written as H.264 MP4 and read back like any upload:

* flow: DIS's end-point error against the true motion (px, over pixels seen in both frames), and how
  many of the pixels the occlusion mask keeps are truly seen in both (precision) and of those seen, kept (recall);
* warping error (Lai et al. 2018): mean |O_t - warp(O_{t-1})| in levels over pixels seen in both frames,
  warped by the TRUE flow (so the smoothing cannot flatter itself through its own flow), for the
  per-frame fast path (smoothing 0) and the smoothed one; the goal is a ratio <= 0.5;
* style figures of benchmarks/quality.py (texture, palette, content) on every 8th frame, smoothed
  over per-frame; the goal is within 10 %.

--speed also times ``python -m nst_core video`` end to end (a fresh process: imports, model, decode,
stylise, flow, encode) on a 10 s 854x480 24 fps clip; the goal is at most 180 s on two cores.

--refine N times ``stylize_video(refine=N)`` per frame at 256 px (12 frames) and 854x480 (6 frames) of
the pan, and compares the warping error at 256 px: fast path, refined without the temporal term, refined with it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import ROOT, emit, machine

sys.path.insert(0, str(ROOT / "tools"))
STYLE = ROOT / "examples" / "starry_night.jpg"


def clips(frames: int, size=(288, 512)) -> dict:
    from clips import moving_patch, pan_zoom

    from nst_core import load_image

    ex = ROOT / "examples"
    return {"pan_zoom_coffee": pan_zoom(load_image(ex / "coffee.jpg"), size, frames),
            "chelsea_over_astronaut": moving_patch(load_image(ex / "astronaut.jpg"), load_image(ex / "chelsea.jpg"),
                                                   size, frames)}


def decoded(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def warping_error(outs: list[np.ndarray], flows: list, masks: list) -> float:
    from nst_core.video.flow import warp

    errs = [np.abs(o.astype(np.float32) - warp(p, f))[m].mean() for o, p, f, m in
            zip(outs[1:], outs[:-1], flows[1:], masks[1:])]
    return float(np.mean(errs))


def flow_check(frames: list[np.ndarray], flows: list, masks: list) -> dict:
    from nst_core.video.flow import dis_flow, gray, occlusion_mask

    epe, precision, recall = [], [], []
    for t in range(1, len(frames)):
        a, b = gray(frames[t]), gray(frames[t - 1])
        back, fwd = dis_flow(a, b), dis_flow(b, a)
        kept = occlusion_mask(back, fwd) > 0
        epe.append(np.linalg.norm(back - flows[t], axis=-1)[masks[t]].mean())
        precision.append((kept & masks[t]).sum() / max(1, kept.sum()))
        recall.append((kept & masks[t]).sum() / max(1, masks[t].sum()))
    true_motion = float(np.mean([np.linalg.norm(f, axis=-1)[m].mean() for f, m in zip(flows[1:], masks[1:])]))
    return {"epe_px": round(float(np.mean(epe)), 3), "true_motion_px": round(true_motion, 2),
            "mask_precision": round(float(np.mean(precision)), 3), "mask_recall": round(float(np.mean(recall)), 3)}


def speed(work: Path) -> dict:
    from clips import pan_zoom, write_clip

    from nst_core import load_image

    frames, _, _ = pan_zoom(load_image(ROOT / "examples" / "coffee.jpg"), (480, 854), 240)
    clip = write_clip(work / "speed_480p.mp4", frames)
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, load = time.perf_counter(), os.getloadavg()[0]
    subprocess.run([sys.executable, "-m", "nst_core", "video", str(clip), str(STYLE), "-o", str(work / "speed_out.mp4"),
                    "--size", "854", "--quiet"], cwd=ROOT, check=True)
    seconds = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    return {"cpu_s": round(cpu, 1),  # core-seconds of work: on a shared machine, what the wall time hides
            "clip": "854x480, 24 fps, 240 frames (10 s)", "end_to_end_s": round(seconds, 1),
            "frames_per_s": round(240 / seconds, 2), "meets": seconds <= 180,
            # the machine is shared: its 1-minute load before and after says how much it was
            "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


def refine(work: Path, iterations: int, widths: tuple[int, ...] = (256, 854)) -> list[dict]:
    """--refine N: seconds (and CPU seconds) per frame at 256 px and 480p, frame 2 to the last (VGG19's
    loading and the first frame's Grams left out), and at 256 px the warping error against the true
    motion and quality.py's style figures (every 4th frame) of the fast frames, refined without the
    temporal term, and refined with it."""
    import resource

    from clips import pan_zoom, write_clip
    from quality import Scorer

    from nst_core import Settings, load_image
    from nst_core.video.clip import stylize_video

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    photo, painting = load_image(ROOT / "examples" / "coffee.jpg"), load_image(STYLE)
    records, scorer, cache = [], None, {}
    for size, n in (s for s in (((144, 256), 12), ((480, 854), 6)) if s[0][1] in widths):
        frames, flows, masks = pan_zoom(photo, size, n)
        clip = write_clip(work / f"refine_{size[1]}.mp4", frames)
        runs = (("fast", 0, None), ("refined", iterations, 0.0), ("temporal", iterations, None)) if size[1] == 256 \
            else (("temporal", iterations, None),)
        for label, k, weight in runs:
            s = Settings(max_size=max(size))
            s = s if weight is None else s.replace(temporal_weight=weight)
            outs, marks = [], []
            load0 = os.getloadavg()[0]
            for f in stylize_video(clip, STYLE, s, refine=k, output=work / f"refine_{size[1]}_{label}.mp4"):
                if not f.final:
                    outs.append(f.image)
                    marks.append((time.perf_counter(), cpu()))
            (t1, c1), (t2, c2) = marks[0], marks[-1]
            records.append({"kind": "refine", "size": f"{size[1]}x{size[0]}", "run": label, "iterations": k,
                            "temporal_weight": s.temporal_weight if k else None, "frames": n,
                            "s_per_frame": round((t2 - t1) / (n - 1), 2),
                            "cpu_s_per_frame": round((c2 - c1) / (n - 1), 2),
                            "warping_error": round(warping_error(outs, flows, masks), 3),
                            "load_before": round(load0, 1), "load_after": round(os.getloadavg()[0], 1)})
            if size[1] == 256:  # after the timing: scoring runs VGG19 too
                scorer = scorer or Scorer()
                scores = [score(scorer, outs[i], frames[i], painting, cache) for i in range(0, n, 4)]
                records[-1]["style"] = {k: round(float(np.mean([x[k] for x in scores])), 4)
                                        for k in ("texture", "palette", "content")}
            emit(**records[-1])
    return records


def score(scorer, result: np.ndarray, photo: np.ndarray, painting: np.ndarray, cache: dict) -> dict:
    """quality.py's Scorer.score, with the painting's and each frame's features computed once for all
    the runs compared (the figures are the same; on a busy two-core machine scoring took longer than the clips)."""
    from nst_core.imaging.images import resize
    from nst_core.vgg.figures import gram, palette_distance

    h, w = result.shape[:2]
    key = (photo.tobytes(), h, w)
    if ("painting", h, w) not in cache:
        k = max(h, w) / max(painting.shape[:2])  # the painting at the result's longer side, as quality.py
        sized = resize(painting, (round(painting.shape[0] * k), round(painting.shape[1] * k)))
        cache[("painting", h, w)] = sized, scorer.features(sized)
    if key not in cache:
        cache[key] = scorer.features(resize(photo, (h, w)))
    (sized, fs), fc, fr = cache[("painting", h, w)], cache[key], scorer.features(result)
    texture = np.mean([np.linalg.norm(gram(a) - gram(b)) / np.linalg.norm(gram(b))
                       for a, b in zip(fr[:-1], fs[:-1])])
    content = np.linalg.norm(fr[-1] - fc[-1]) / np.linalg.norm(fc[-1])
    return {"texture": float(texture), "palette": palette_distance(result, sized), "content": float(content)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/nst-video")
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--smoothing", default=None,
                    help="the smoothed runs' weights, comma-separated (default: the engine's); each against per-frame")
    ap.add_argument("--speed", action="store_true", help="also time a 10 s 480p clip end to end")
    ap.add_argument("--speed-only", action="store_true", help="only the 480p timing")
    ap.add_argument("--refine", type=int, default=0, metavar="N",
                    help="only time --refine N per frame at 256 px and 480p, and its warping error at 256 px")
    ap.add_argument("--refine-widths", default="256,854", help="with --refine: the clips' widths, of 256 and 854")
    ap.add_argument("--save-frames", action="store_true", help="write a few frames as PNG to look at")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    emit(kind="machine", **machine())
    if args.speed_only:
        emit(kind="speed", **speed(work))
        return
    if args.refine:
        refine(work, args.refine, tuple(int(w) for w in args.refine_widths.split(",")))
        return
    from clips import write_clip
    from quality import Scorer

    from nst_core import Settings, load_image
    from nst_core.video.flow import DEFAULT_SMOOTHING
    from nst_core.imaging.images import save_png
    from nst_core.video.clip import stylize_video

    trials = [DEFAULT_SMOOTHING] if args.smoothing is None else [float(v) for v in args.smoothing.split(",")]
    settings, painting = Settings(max_size=512), load_image(STYLE)
    results = {}
    for name, (frames, flows, masks) in clips(args.frames).items():
        clip = write_clip(work / f"{name}.mp4", frames)
        inputs = decoded(clip)  # what the engine sees: the frames after H.264
        record = {"kind": "clip", "clip": name, "size": list(frames[0].shape[:2]), "frames": len(frames),
                  "flow": flow_check(inputs, flows, masks)}
        for label, k in (("per_frame", 0.0), *((f"smoothed_{k:g}", k) for k in trials)):
            t = time.perf_counter()
            outs = [f.image for f in stylize_video(clip, STYLE, settings, output=work / f"{name}_{label}.mp4",
                                                    smoothing=k) if not f.final]
            record[f"{label}_s"] = round(time.perf_counter() - t, 1)
            record[f"{label}_warping_error"] = round(warping_error(outs, flows, masks), 3)
            results[(name, label)] = (inputs, outs)
            if args.save_frames:
                for i in (len(outs) // 2, len(outs) // 2 + 1):
                    save_png(np.concatenate([inputs[i], outs[i]], 1), work / f"{name}_{label}_{i}.png")
        results[name] = record
    scorer, cache = Scorer(), {}
    for name in [n for n in results if isinstance(n, str)]:
        record, figures = results[name], {}
        for label in ("per_frame", *(f"smoothed_{k:g}" for k in trials)):
            inputs, outs = results[(name, label)]
            scores = [score(scorer, outs[i], inputs[i], painting, cache) for i in range(0, len(outs), 8)]
            figures[label] = {k: round(float(np.mean([s[k] for s in scores])), 4) for k in ("texture", "palette", "content")}
        record["style"] = figures
        for k in trials:
            label = f"smoothed_{k:g}"
            ratio = record[f"{label}_warping_error"] / record["per_frame_warping_error"]
            style_ratio = {f: round(figures[label][f] / figures["per_frame"][f], 3) for f in figures[label]}
            record[label] = {"warping_error_ratio": round(ratio, 3), "style_ratio": style_ratio,
                             "meets": {"warping_error": ratio <= 0.5,  # style figures: lower is better
                                       "style": all(r <= 1.10 for r in style_ratio.values())}}
        emit(**record)
    if args.speed:
        emit(kind="speed", **speed(work))


if __name__ == "__main__":
    main()
