"""JSON bodies holding NaN or Infinity are refused before any route runs.

The same check as the API's (``sluice_api.json_body``): Python's ``json``
reads ``NaN``, ``Infinity``, ``-Infinity`` and overflowing literals such as
``1e400``, PostgreSQL's ``jsonb`` refuses them, so ``POST /events`` answered
500. As an app-wide dependency it covers every route whose body FastAPI
parses; ``POST /emails`` reads its body itself (capped) and checks it in
``email_json``. The answer is the usual 422 ``VALIDATION_FAILED`` with a
pointer, for example ``/payload/a: NaN is not a JSON number``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from workflow_core.json_finite import non_finite_in_json


def is_json_media(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this Content-Type as JSON."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def refuse_non_finite_numbers(request: Request) -> None:
    """Raise a request-validation error naming the first non-finite number in the body."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:  # the route reads its body itself, or none
        return
    if not is_json_media(request.headers.get("content-type")):
        return
    found = non_finite_in_json(await request.body())
    if found is None:
        return
    loc = ("body", *found.path)
    error = {"type": "json_invalid", "loc": loc, "msg": found.reason, "input": found.literal}
    raise RequestValidationError([error])
