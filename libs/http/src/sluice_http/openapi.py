"""The OpenAPI document of a Sluice service, finished: FastAPI's document plus the
``Problem`` schema that every error response of a ``SluiceRoute`` refers to."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sluice_http.problems import Problem

REF_TEMPLATE = "#/components/schemas/{model}"


def problem_schemas() -> dict[str, Any]:
    """``Problem`` and ``ProblemItem`` as component schemas."""
    schema = Problem.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
    nested = schema.pop("$defs", {})
    return {**nested, "Problem": schema}


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the finished document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version,
                summary=app.summary, description=app.description, routes=app.routes,
                tags=app.openapi_tags, servers=app.servers,
            )  # fmt: skip
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(problem_schemas())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
