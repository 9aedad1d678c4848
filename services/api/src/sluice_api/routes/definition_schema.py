"""``/schemas/workflow-definition.json``: the JSON Schema of the definition format.

Public (an editor fetches it without a token) and cacheable: the document only
changes with the server's version, so it carries a strong ETag (``If-None-Match``
answers 304) and may be cached for an hour. It is generated from the core's
models (``workflow_core.definitions.definition_json_schema``), the same document
as the committed ``schemas/workflow-definition.schema.json``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Annotated

from fastapi import Header, Response
from sluice_http import sluice_router
from workflow_core.definitions import definition_json_schema

router = sluice_router(tags=["schemas"])
SCHEMA_MEDIA_TYPE = "application/schema+json"
CACHE_CONTROL = "public, max-age=3600"


@cache
def _document() -> tuple[bytes, str]:
    body = json.dumps(definition_json_schema(), indent=2, ensure_ascii=False).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@router.get(
    "/schemas/workflow-definition.json",
    summary="JSON Schema (2020-12) of the workflow definition format, for editors",
    description="Public (no token) and cacheable (`Cache-Control: public, max-age=3600`, "
    "a strong `ETag`; `If-None-Match` answers 304). The shape only: publish validation "
    "(`POST .../publish`, `sluice definitions validate`) checks configs and expressions.",
    response_class=Response,
    responses={
        200: {
            "description": "the JSON Schema document",
            "content": {SCHEMA_MEDIA_TYPE: {"schema": {"type": "object"}}},
            "headers": {
                "ETag": {"description": "the document's tag", "schema": {"type": "string"}},
                "Cache-Control": {"schema": {"type": "string"}},
            },
        },
        304: {"description": "not modified since the If-None-Match tag"},
    },
)
async def workflow_definition_schema(
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    body, etag = _document()
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=SCHEMA_MEDIA_TYPE, headers=headers)
