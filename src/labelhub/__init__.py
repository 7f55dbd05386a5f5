"""labelhub: a self-hosted hub for AI-assisted data annotation."""

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
