"""Every error as ``application/problem+json`` (SPEC 13, RFC 9457).

Routes raise ``ProblemError`` (or a subclass); the handlers below turn it, and
everything FastAPI or Starlette raises on their own (404/405 routing, request
validation, an unexpected exception), into one body shape:
``{type, title, status, detail, code, errors?: [{pointer, message}]}``.

Pointers of request-validation errors point into the JSON body (``/payload/x``);
errors in query, path or header parameters are reported as
``/query/<name>``, ``/path/<name>`` or ``/header/<name>``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sluice_storage.errors import InvalidCursorError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice_api.schemas.common import Problem, ProblemItem

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sluice.dev/problems/"

# Codes for errors raised by the framework itself (no route chose them).
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Sequence[ProblemItem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers


def not_found(what: str, ident: object) -> ProblemError:
    """404 for an unknown id, and for another tenant's id alike (never 403)."""
    return ProblemError(404, "NOT_FOUND", f"{what} {ident} not found")


def problem_response(
    status: int,
    code: str,
    detail: str,
    errors: Sequence[ProblemItem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + code.lower().replace("_", "-"),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        errors=list(errors) or None,
    )
    return JSONResponse(
        body.model_dump(mode="json", by_alias=True, exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _pointer(loc: Sequence[int | str]) -> str:
    where, *rest = [str(part).replace("~", "~0").replace("/", "~1") for part in loc] or [""]
    prefix = "" if where == "body" else "/" + where
    return prefix + "".join("/" + part for part in rest)


def validation_items(errors: Sequence[Any]) -> list[ProblemItem]:
    return [ProblemItem(pointer=_pointer(e.get("loc", ())), message=e["msg"]) for e in errors]


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.code, exc.detail, exc.errors, exc.headers)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, code, detail, headers=exc.headers)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc.errors())
    detail = "the request is invalid: " + "; ".join(
        f"{i.pointer or '/'}: {i.message}" for i in items
    )
    return problem_response(422, "VALIDATION_FAILED", detail, items)


async def _on_cursor(_: Request, exc: Exception) -> JSONResponse:
    return problem_response(400, "INVALID_CURSOR", str(exc))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The detail stays generic: internals (SQL, paths) are for the log, not the client.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "INTERNAL_ERROR", "an unexpected error occurred; it was logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(InvalidCursorError, _on_cursor)
    app.add_exception_handler(Exception, _on_unexpected)
