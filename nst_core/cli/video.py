"""``python -m nst_core video IN STYLE -o OUT.mp4``: a clip through the fast path, with a progress bar; Ctrl-C keeps what is done."""
from __future__ import annotations

import argparse
import json
import sys

from .kit import (EXIT_INTERRUPTED, EXIT_OK, Parser, ctrl_c_stops, draw_bar, fail, interrupted,
                  output_path)
from ..errors import NSTError
from ..video.flow import DEFAULT_SMOOTHING
from ..settings import Settings

DEFAULT_SIZE = 854  # a 480p clip keeps its size; larger ones are scaled down to 854 px wide


def build_parser() -> argparse.ArgumentParser:
    d = Settings()
    p = Parser(prog="python -m nst_core video", see="python -m nst_core video",
               formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                description="Stylise a clip (MP4, WebM, MOV, GIF) frame by frame with the fast path, smoothed "
                            "along the optical flow; writes an H.264 MP4 at the clip's frame rate with its sound.")
    p.add_argument("input", help="the clip")
    p.add_argument("style", help="the painting: an image file")
    p.add_argument("-o", "--output", default="stylized.mp4", help="where to write the MP4")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, help="longer side of the output in pixels at most")
    p.add_argument("--strength", type=float, default=d.fast_strength,
                   help="blend of the model's output with the frame (1 = all model)")
    p.add_argument("--smoothing", type=float, default=DEFAULT_SMOOTHING,
                   help="weight of the previous result, warped by the optical flow (0 = each frame alone: flickers)")
    p.add_argument("--refine", type=int, default=d.video_refine, metavar="N",
                   help="then N Gatys iterations per frame from the fast frame, with a temporal loss towards the "
                        "previous result moved along the flow (Ruder et al. 2016); slow: seconds a frame")
    p.add_argument("--temporal-weight", type=float, default=d.temporal_weight,
                   help="with --refine: weight of the temporal loss")
    p.add_argument("--hub-model", default=d.hub_model, help="fast-path model (see python -m nst_core --help)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame on stdout instead of the bar")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _bar(f, out) -> None:
    draw_bar(out, f.done, max(1, f.total), f"frame {f.done}/{f.total}  {f.frames_per_s:.2f} frames/s  "
             f"ETA {f.eta_s:4.0f}s ")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..control import RunControl
    from ..video.clip import stylize_video

    out = output_path(args.output)
    control = RunControl()
    last = None
    with ctrl_c_stops(control):  # the first Ctrl-C ends the clip there and writes it; a second aborts
        try:
            settings = Settings(max_size=args.size, fast_strength=args.strength, hub_model=args.hub_model,
                                video_refine=args.refine, temporal_weight=args.temporal_weight)
            for f in stylize_video(args.input, args.style, settings, output=out, smoothing=args.smoothing,
                                   control=control):
                last = f
                if args.json:
                    print(json.dumps({"done": f.done, "total": f.total, "elapsed_s": round(f.elapsed_s, 3),
                                      **({"output": f.output, "stopped": f.stopped, "message": f.message}
                                         if f.final else {})}), flush=True)
                elif not args.quiet and not f.final:
                    _bar(f, sys.stderr)
        except NSTError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            return interrupted()
    if last.message:
        print(f"\nwarning: {last.message}", file=sys.stderr)
    how = f"stopped at frame {last.done}; wrote the frames so far to" if last.stopped else "wrote"
    h, w = last.image.shape[:2]
    print(f"\n{how} {out} ({w}x{h}, {last.done} frames at {last.fps:g} fps) in {last.elapsed_s:.1f}s",
          file=sys.stderr)
    return EXIT_INTERRUPTED if last.stopped else EXIT_OK
