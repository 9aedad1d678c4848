"""``SluiceRoute``: the route class of every API and ingest router.

One place does two things for every route, so a new route gets both by being
declared on a ``sluice_router(...)`` (an ``APIRouter`` with this route class):

1. **The input rule before anything else.** Query, path and declared header
   values must be text without U+0000 (422 at ``/query/<name>`` ...), a JSON
   body must follow ``workflow_core.json_rules`` (finite numbers, integers of
   at most 4300 digits, no NUL or lone surrogate, at most 64 levels deep; 422
   at its pointer), and it is at most ``MAX_BODY_BYTES`` (413). This runs
   before FastAPI parses the body, so nothing the parser or PostgreSQL would
   choke on reaches either.
2. **The problems it can answer, declared.** Each status the route can return
   beyond its own success is added to its OpenAPI responses with the
   ``Problem`` schema under ``application/problem+json``: 401 and 403 when it
   needs a token (the role is the bearer scheme's scope, ``Security(...,
   scopes=[role])``), 429 with ``Retry-After`` when it needs a token (the
   tenant's rate limit, ``rate_limit``), 404 when it has path parameters, 400 for a ``cursor``,
   413 with a JSON body, 422 whenever it takes input, 500, and 503 with its
   ``Retry-After`` header (PostgreSQL or Kafka unreachable for the moment,
   ``problems.unavailable``). A route's own ``responses={409: {"description":
   ...}}`` get the same schema.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from workflow_core.json_rules import text_reason, violation_in_json

from sluice_http.problems import PROBLEM_MEDIA_TYPE, RETRY_AFTER_S, ProblemError

# 4 MiB: a definition of a few hundred steps is ~200 KB and an event or run payload
# is meant to be a document, not a file (attachments travel as references); Kafka's
# default message limit (1 MiB) is what the payload must fit in later anyway.
MAX_BODY_BYTES = 4 * 1024 * 1024
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
UNAVAILABLE = "PostgreSQL or Kafka is unreachable for the moment (UNAVAILABLE); retry after "
RETRY_AFTER = {
    "Retry-After": {
        "description": f"seconds to wait before retrying ({RETRY_AFTER_S})",
        "schema": {"type": "integer", "minimum": 0},
    }
}
RATE_LIMITED = (
    "the tenant is over its request rate (RATE_LIMITED, WF_API_RATE_PER_S); retry after "
    "Retry-After seconds"
)
RATE_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds until the tenant's rate allows a request again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
HEADERS = {429: RATE_RETRY_AFTER, 503: RETRY_AFTER}


def is_json_media(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this Content-Type as JSON."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    stack = [dependant]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.dependencies)


def _declared_problems(route: APIRoute) -> dict[int, str]:
    """Status -> description of every problem this route can answer by construction."""
    parts = list(_walk(route.dependant))
    secured = any(isinstance(d.call, SecurityBase) for d in parts)
    roles = [s for d in parts for s in d.own_oauth_scopes or ()]
    path = [f for d in parts for f in d.path_params]
    query = [f for d in parts for f in d.query_params]
    headers = [f for d in parts for f in d.header_params]
    found: dict[int, str] = {}
    if any(f.alias == "cursor" for f in query):
        found[400] = "the cursor is not one this list handed out (INVALID_CURSOR)"
    if secured:
        found[401] = "no bearer token, or one that is unknown, expired or revoked"
    if roles:
        found[403] = f"the token's role is below {roles[0]}"
    if secured:
        found[429] = RATE_LIMITED
    if path:
        names = ", ".join(f.alias for f in path)
        found[404] = f"nothing of this tenant has this {names}"
    if route.body_field is not None:
        found[413] = f"the body is over {MAX_BODY_BYTES // (1024 * 1024)} MiB"
    if route.body_field is not None or path or query or headers:
        found[422] = "the request breaks its schema or the input rule; errors[] name each place"
    found[500] = "an unexpected error (logged; the detail says nothing more)"
    found[503] = UNAVAILABLE + "Retry-After seconds"
    return found


def _as_problem(response: dict[str, Any]) -> dict[str, Any]:
    """A route's own error response, with the problem schema and media type."""
    return {"description": response.get("description", "a problem"), "content": PROBLEM_CONTENT}


def _input_errors(route: APIRoute, request: Request) -> list[dict[str, Any]]:
    """Query, path and declared header values holding U+0000 (asyncpg and PostgreSQL
    refuse it in text); percent-escapes that are not UTF-8 are already U+FFFD."""
    errors = []
    headers = [f.alias for d in _walk(route.dependant) for f in d.header_params]
    given = [
        *(("query", k, v) for k, v in request.query_params.multi_items()),
        *(("path", k, str(v)) for k, v in request.path_params.items()),
        *(("header", h, request.headers[h]) for h in headers if h in request.headers),
    ]
    for where, name, value in given:
        reason = text_reason(value)
        if reason is not None:
            errors.append({"type": "value_error", "loc": (where, name), "msg": reason})
    return errors


async def _read_capped(request: Request) -> None:
    """Read the body, refusing it (413) past ``MAX_BODY_BYTES`` without buffering more.

    Not FastAPI's ``max_body_size``: Starlette's limiter answers 413 in plain text,
    replacing any problem document once Content-Length is over the limit.
    """
    too_large = ProblemError(413, "PAYLOAD_TOO_LARGE", f"the body is over {MAX_BODY_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette's cache: FastAPI's parse reads it from here


class SluiceRoute(APIRoute):
    """An ``APIRoute`` that applies the input rule first and declares its problems."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        responses = {
            code: (_as_problem(r) if str(code)[0] in "45" else r)
            for code, r in (kwargs.pop("responses", None) or {}).items()
        }
        super().__init__(path, endpoint, responses=responses, **kwargs)
        for code, description in _declared_problems(self).items():
            if code not in self.responses and str(code) not in self.responses:
                self.responses[code] = {"description": description, "content": PROBLEM_CONTENT}
                if code in HEADERS:
                    self.responses[code]["headers"] = HEADERS[code]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        route = self

        async def checked(request: Request) -> Response:
            errors = _input_errors(route, request)
            if route.body_field is not None:
                await _read_capped(request)
            json_body = is_json_media(request.headers.get("content-type"))
            if not errors and route.body_field is not None and json_body:
                found = violation_in_json(await request.body())
                if found is not None:
                    loc = ("body", *found.shown_path)
                    errors = [{"type": "json_invalid", "loc": loc, "msg": found.reason}]
            if errors:
                raise RequestValidationError(errors)
            return await handler(request)

        return checked


def sluice_router(**kwargs: Any) -> APIRouter:
    """``APIRouter(**kwargs)`` whose routes are ``SluiceRoute``s."""
    return APIRouter(route_class=SluiceRoute, **kwargs)
