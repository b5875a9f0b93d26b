"""Clips and the webcam.

- ``clip``: ``stylize_video``, a generator of ``VideoFrame``s: the fast path frame by frame, smoothed
  along the optical flow, optionally refined.
- ``io``: PyAV decoding with the limits, H.264 + sound out (``open_clip``, ``ClipWriter``).
- ``flow``: DIS optical flow, warping, the occlusion mask, the temporal blend (``dis_flow``, ``warp``,
  ``occlusion_mask``, ``TemporalSmoother``, ``DEFAULT_SMOOTHING``).
- ``temporal``: the temporal loss (``temporal_loss``, ``WithTemporal``).
- ``refine``: Gatys iterations per frame through the one loop (``FrameRefiner``).
- ``live``: one webcam viewer's stylizer (``LiveStylizer``).

Imports engine and the layers below it; never batches or cli.
"""
