"""One exception tree for labelhub.

Every error the package raises on purpose derives from :class:`LabelhubError`. Each class carries an HTTP
status and a short title so the API can render it as RFC 9457 problem+json without a lookup table, and each
instance carries its context (the file, line or field at fault) as keyword fields.
"""

from __future__ import annotations

from typing import Any

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
    "PrelabelFailed",
    "ValidationError",
]


class LabelhubError(Exception):
    """Base of every error labelhub raises on purpose."""

    status: int = 500
    title: str = "Internal error"
    slug: str = "internal"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.context.items() if k in ("file", "line", "field"))
        return f"{self.detail} ({where})" if where else self.detail


class ConfigurationError(LabelhubError):
    """Settings that cannot work, such as the default secret key outside dev mode."""

    status = 500
    title = "Configuration error"
    slug = "configuration"


class ServiceUnavailable(LabelhubError):
    """A service labelhub relies on (the media bucket) failed while it ran: a request may succeed again shortly.
    The API answers 503 with ``Retry-After``."""

    status = 503
    title = "Service unavailable"
    slug = "unavailable"
    retry_after_seconds = 10


class ValidationError(LabelhubError):
    """Input that breaks a rule of the data model: bad geometry, an unknown label, a bad field."""

    status = 422
    title = "Invalid input"
    slug = "validation"


class FormatError(ValidationError):
    """A file that cannot be read in the format it claims; names the file and the line or field."""

    title = "Unreadable file"
    slug = "format"


class ImportValidationError(ValidationError):
    """An import refused as a whole; ``problems`` lists every reason found (file, line or field, message)."""

    title = "Import refused"
    slug = "import"

    def __init__(self, detail: str, *, problems: list[dict[str, Any]], **context: Any) -> None:
        super().__init__(detail, problems=problems, **context)
        self.problems = problems


class AuthenticationError(LabelhubError):
    """Missing or wrong credentials."""

    status = 401
    title = "Not authenticated"
    slug = "authentication"


class PermissionDenied(LabelhubError):
    """The user is known but their role does not allow the action."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFoundError(LabelhubError):
    """The object does not exist, or the user may not know that it does."""

    status = 404
    title = "Not found"
    slug = "not-found"


class ConflictError(LabelhubError):
    """A write based on a stale version, or a name that is already taken."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class JobCancelled(LabelhubError):
    """Raised inside a job handler when the job's cancel flag is set; the job ends as cancelled."""

    status = 409
    title = "Job cancelled"
    slug = "job-cancelled"


class PrelabelFailed(LabelhubError):
    """Every item of a pre-labelling run failed: the job fails (some failing is the result's ``errors``)."""

    status = 422
    title = "Pre-labelling failed"
    slug = "prelabel-failed"
