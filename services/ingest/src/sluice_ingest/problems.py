"""Errors of the ingest HTTP API as ``application/problem+json`` (SPEC 13):
``{type, title, status, detail, code, errors?: [{pointer, message}]}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
_CODES = {
    401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_FAILED",
}  # fmt: skip


class ProblemError(Exception):
    def __init__(
        self, status: int, code: str, detail: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def problem(
    status: int,
    code: str,
    detail: str,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {
        "type": "https://sluice.dev/problems/" + code.lower().replace("_", "-"),
        "title": HTTPStatus(status).phrase, "status": status, "detail": detail, "code": code,
    }  # fmt: skip
    if errors:
        body["errors"] = [dict(e) for e in errors]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _pointer(loc: Sequence[int | str]) -> str:
    where, *rest = [str(p).replace("~", "~0").replace("/", "~1") for p in loc] or [""]
    return ("" if where == "body" else "/" + where) + "".join("/" + p for p in rest)


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem(exc.status, exc.code, exc.detail, headers=exc.headers)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    code = _CODES.get(exc.status_code, "HTTP_ERROR")
    return problem(exc.status_code, code, detail, headers=exc.headers)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [{"pointer": _pointer(e.get("loc", ())), "message": e["msg"]} for e in exc.errors()]
    listed = "; ".join(f"{i['pointer'] or '/'}: {i['message']}" for i in items)
    return problem(422, "VALIDATION_FAILED", f"the request is invalid: {listed}", items)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "INTERNAL_ERROR", "an unexpected error occurred; it was logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Exception, _on_unexpected)
