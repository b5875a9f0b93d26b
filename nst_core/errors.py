"""The errors nst_core raises on purpose: each carries a one-line message that says how to fix it."""


class NSTError(Exception):
    """Base class: anything a user can fix by changing an input or a setting."""


class SettingsError(NSTError, ValueError):
    """A setting is out of range or of the wrong kind."""


class ImageError(NSTError, ValueError):
    """An image could not be read, or breaks a limit."""


class VideoError(NSTError, ValueError):
    """A video could not be read or written, or breaks a limit."""


class WeightsError(NSTError):
    """VGG19's weights could not be found or read."""


class ModelLoadError(NSTError):
    """The fast-path (TF-Hub) model could not be loaded. The message has the operator's fix;
    ``VISITOR`` is what a visitor of the app is told instead."""

    VISITOR = "Instant and Refine are off on this server: its quick style model could not be loaded."


class DivergedError(NSTError):
    """The loss became NaN or infinite."""
