"""Photo mode in a run: the matting Laplacian of the photo at a scale, as a loss term or a last smoothing.

``Settings.photo`` turns it on; ``photo_method`` picks how (nst_core.imaging.matting holds the maths).
The figures behind the constants are in docs/portraits-and-photos.md (benchmarks/photo.py).
"""
from __future__ import annotations

import numpy as np

from ..errors import SettingsError
from ..imaging.colour import match_colours
from ..imaging.matting import Regulariser, matting_laplacian, smooth
from ..settings import Settings

# 'smooth': the screened solve's 1/lambda at photo_strength 1.
SMOOTH_STRENGTH = 10.0
# 'laplacian': the term's weight at photo_strength 1, against the balanced losses. At 1000 the dusk pairs'
# luminance SSIM stayed at 0.72-0.74; at 30 000 coffee -> dusk rose from 0.74 to 0.82 for one point of
# palette (docs/portraits-and-photos.md).
REGULARISER_WEIGHT = 30000.0


def check_photo(s: Settings, tiled: bool) -> None:
    """One line where photo mode cannot run: its Laplacian spans the whole picture, so a scale
    painted in tiles (a print size) has none."""
    if s.photo and tiled:
        raise SettingsError("photo look paints whole pictures only, and this size is painted in tiles "
                            "(a print size): choose a smaller size, or turn photo look off")


def regulariser(s: Settings, photo: np.ndarray):
    """The loss term of photo mode's 'laplacian' method for the photo at this scale, or None."""
    if not (s.photo and s.photo_method == "laplacian"):
        return None
    return Regulariser(matting_laplacian(photo), REGULARISER_WEIGHT * s.photo_strength)


def finish(s: Settings, picture: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """The run's last picture (float 0..255) as photo mode's 'smooth' method leaves it, else as it is."""
    if not (s.photo and s.photo_method == "smooth"):
        return picture
    return smooth(matting_laplacian(photo), picture, SMOOTH_STRENGTH * s.photo_strength)


def recoloured(photo: np.ndarray, styles: list[np.ndarray], blend: tuple[float, ...]) -> np.ndarray:
    """Where photo mode starts: the photo with the style photo's colour mean and covariance (the
    whitening and colouring transform of Li et al.'s stylisation step, on the pixels themselves):
    the light and colours move at once, and the optimisation only adds what varies from place to
    place. With several styles, the one weighted most."""
    first = int(np.argmax(blend)) if blend else 0
    return match_colours(photo, styles[first]).astype(np.float32)
