"""labelhub: a self-hosted hub for AI-assisted data annotation."""

import os

# FFmpeg (inside OpenCV) prints its own lines to stderr for a bad video ("moov atom not found"), between the CLI's
# progress and labelhub's error, which says the same in words a person can act on. Quiet unless the user asks
# for them: OpenCV reads this once, before its first capture in the process.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from labelhub.config import Settings
from labelhub.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    FormatError,
    ImportValidationError,
    JobCancelled,
    LabelhubError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "FormatError",
    "ImportValidationError",
    "JobCancelled",
    "LabelhubError",
    "NotFoundError",
    "PermissionDenied",
    "Settings",
    "ValidationError",
    "__version__",
]
