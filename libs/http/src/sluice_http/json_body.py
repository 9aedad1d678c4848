"""JSON bodies holding NaN or Infinity are refused before any route runs.

Python's ``json`` (what FastAPI parses bodies with) reads ``NaN``,
``Infinity``, ``-Infinity`` and overflowing literals such as ``1e400``;
none is a JSON number and PostgreSQL's ``jsonb`` refuses them, so without
this check such a payload ended in a 500 from the database. The check is an
app-wide dependency (``create_app``), so every route with a JSON body is
covered without code of its own. It answers like any other invalid body:
422 ``VALIDATION_FAILED`` with a pointer, for example
``/payload/a: NaN is not a JSON number``.

Cost: the raw body (FastAPI has already read it) is parsed once more with
hooks that note NaN/Infinity and overflowing floats, about 1.3 times a plain
``json.loads`` (3 us for a 160-byte run start, 20 us for 2.5 KB); FastAPI
offers no hook into its own parse short of a custom route class on every
router. Bodies of routes without a body parameter are not read (ingest's
``POST /emails`` reads its capped body itself and checks it in ``email_json``).

Both FastAPI services (API and ingest) install it in their app factory.
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
