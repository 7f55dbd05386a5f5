"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from labelhub.api.strict import unknown_field_message
from labelhub.errors import LabelhubError, ServiceUnavailable

PROBLEM_TYPE = "https://labelhub.dev/problems/"
log = logging.getLogger("labelhub.api")


def problem(status: int, title: str, detail: str, *, slug: str, instance: str, **extra: Any) -> JSONResponse:
    """Return a problem+json response."""
    body = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="labelhub"'} if status == 401 else None
    if status == 503:  # a dependency's outage (ServiceUnavailable): clients and proxies may retry after this
        headers = {"Retry-After": str(ServiceUnavailable.retry_after_seconds)}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    """Register handlers that turn every exception into problem+json."""

    @app.exception_handler(LabelhubError)
    async def _labelhub(request: Request, exc: LabelhubError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, instance=request.url.path, **exc.context)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field(e.get("loc", ())),
                "message": unknown_field_message(request, e.get("loc", ()))
                if e.get("type") == "extra_forbidden"
                else e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return problem(
            422,
            "Invalid input",
            f"{first['field']}: {first['message']}",
            slug="validation",
            instance=request.url.path,
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            _TITLES.get(exc.status_code, "Error"),
            str(exc.detail),
            slug=_TITLES.get(exc.status_code, "error").lower().replace(" ", "-"),
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "Internal error",
            "the server hit an unexpected error; it has been logged",
            slug="internal",
            instance=request.url.path,
        )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """Return a location like ``annotations[0].geometry``, the spelling the services use too."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    416: "Range not satisfiable",
}
