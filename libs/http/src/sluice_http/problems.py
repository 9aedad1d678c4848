"""Every HTTP error as ``application/problem+json`` (SPEC 13, RFC 9457): the one
module for the API and ingest.

Routes raise ``ProblemError``; the handlers below turn it, and everything
FastAPI or Starlette raise on their own (404/405 routing, request validation,
a body over the size limit, an unexpected exception), into one body shape:
``{type, title, status, detail, code, errors?: [{pointer, message}]}``.

Pointers of request-validation errors point into the JSON body (``/payload/x``);
errors in query, path or header parameters read ``/query/<name>``,
``/path/<name>`` or ``/header/<name>``.

Transient trouble is not a bug: an error that ``sluice_engine.transient`` (the
one rule) calls transient, raised by a route or found behind whatever wrapped it,
answers ``503 UNAVAILABLE`` with ``Retry-After`` and a detail naming the
dependency (PostgreSQL or Kafka), never 500. A request that failed so wrote
nothing (its transaction rolled back); one whose COMMIT was cut off may have
been done, which the ``Idempotency-Key`` of run starts and events makes safe
to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sluice_engine.transient import TRANSIENT_ERRORS, dependency_of, transient_cause
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sluice.dev/problems/"

# Codes for errors raised by the framework itself (no route chose them).
STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}
# A PostgreSQL restart takes 1-3 s here (a fast shutdown and start, or crash
# recovery after kill -9), a dropped connection is replaced on the next acquire:
# 2 s is one or two tries for a client, not a stampede every few milliseconds.
RETRY_AFTER_S = 2


class ProblemItem(BaseModel):
    """One located error."""

    pointer: str = Field(
        description="JSON pointer into the request body, or /query/<name>, /path/<name>, "
        "/header/<name>; empty for the body as a whole"
    )
    message: str


class Problem(BaseModel):
    """``application/problem+json`` (RFC 9457) with Sluice's stable ``code``."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)

    type: str = Field(description="https://sluice.dev/problems/<code in kebab case>")
    title: str = Field(description="the HTTP status phrase")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what is wrong, for a person")
    code: str = Field(pattern="^[A-Z][A-Z0-9_]*$", description="stable, for programs")
    errors: list[ProblemItem] | None = Field(default=None, description="located errors, if any")


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Sequence[ProblemItem] = (),
        headers: Mapping[str, str] | None = None,
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
        headers=dict(headers) if headers else None,
    )


def pointer(loc: Sequence[int | str]) -> str:
    """``("body", "payload", "a/b")`` -> ``/payload/a~1b``; ``("query", "x")`` -> ``/query/x``."""
    where, *rest = [str(part).replace("~", "~0").replace("/", "~1") for part in loc] or [""]
    prefix = "" if where == "body" else "/" + where
    return prefix + "".join("/" + part for part in rest)


def validation_items(errors: Sequence[Any]) -> list[ProblemItem]:
    return [ProblemItem(pointer=pointer(e.get("loc", ())), message=e["msg"]) for e in errors]


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.code, exc.detail, exc.errors, exc.headers)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, code, detail, headers=exc.headers)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc.errors())
    detail = "the request is invalid: " + "; ".join(
        f"{i.pointer or '/'}: {i.message}" for i in items
    )
    return problem_response(422, "VALIDATION_FAILED", detail, items)


def unavailable(cause: BaseException, dependency: str | None = None) -> ProblemError:
    """503 for a transient ``cause``: which dependency is away, and when to retry."""
    dependency = dependency or dependency_of(cause) or "PostgreSQL or Kafka"
    detail = (
        f"{dependency} is unreachable for the moment ({type(cause).__name__}); "
        f"retry after {RETRY_AFTER_S} s"
    )
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    return ProblemError(503, "UNAVAILABLE", detail, headers=headers)


async def _on_transient(request: Request, exc: Exception) -> JSONResponse:
    problem = unavailable(exc)
    log.warning("%s %s: %s: %r", request.method, request.url.path, problem.detail, exc)
    return await _on_problem(request, problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    cause = transient_cause(exc)  # wrapped: an error raised from one, an exception group
    if isinstance(cause, Exception):
        return await _on_transient(request, cause)
    # The detail stays generic: internals (SQL, paths) are for the log, not the client.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "INTERNAL_ERROR", "an unexpected error occurred; it was logged")


Handler = Callable[[Request, Exception], Awaitable[JSONResponse]]


def install_problem_handlers(
    app: FastAPI, extra: Mapping[type[Exception], Handler] | None = None
) -> None:
    """The handlers above, plus ``extra`` (a service's own errors: cursors, the engine's)."""
    for kind in TRANSIENT_ERRORS:  # by class: answered here, not re-raised as a 500 is
        app.add_exception_handler(kind, _on_transient)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    for kind, handler in (extra or {}).items():
        app.add_exception_handler(kind, handler)
    app.add_exception_handler(Exception, _on_unexpected)
