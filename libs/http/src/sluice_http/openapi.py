"""The OpenAPI document of a Sluice service, finished so that it is exact.

FastAPI's document plus:

- the ``Problem`` schema every error response of a ``SluiceRoute`` refers to;
- the input rules where a schema can say them without changing generated
  client types: every free string of a request (body, query, path, header)
  gets ``pattern: ^[^\\u0000]*$``, every open object ``propertyNames`` with the
  same pattern. Response schemas are left as they are (nothing stored can hold
  U+0000). A free value (``{}``: a payload, a draft) stays free: a recursive
  JSON-value schema would say more, but turns the UI's ``unknown`` into a union
  its typed code cannot pass; the rule for what such a value may hold is in
  ``info.description``;
- ``Allow`` on a 405 lists the methods the document has for that path
  (``allowed_methods``).

Not expressible in JSON Schema, hence in ``info.description`` and the API
README: U+0000 inside free values, lone surrogates, nesting past 64 levels,
integers past 4300 digits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from sluice_http.problems import Problem, problem_response

REF_TEMPLATE = "#/components/schemas/{model}"
NO_NUL = "^[^\\u0000]*$"
_METHODS = ("get", "put", "post", "delete", "patch")


def link(method: str, path: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to ``method path`` whose parameters come from this response
    (``runId="$response.body#/runId"``): client generators and the stateful
    contract test follow it from a created resource to what can be done with it."""
    ref = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()
    return {"operationRef": ref, "parameters": parameters}


def problem_schemas() -> dict[str, Any]:
    """``Problem`` and ``ProblemItem`` as component schemas."""
    schema = Problem.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
    nested = schema.pop("$defs", {})
    return {**nested, "Problem": schema}


def _subschemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        yield from (s for s in schema.get(key, ()) if isinstance(s, dict))
    yield from (s for s in schema.get("properties", {}).values() if isinstance(s, dict))


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str):
            yield schema["$ref"].rsplit("/", 1)[-1]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _apply_rules(schema: dict[str, Any]) -> None:
    """Add the input rules to ``schema`` and everything it holds (in place)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & schema.keys():
        schema["pattern"] = NO_NUL
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
    for inner in _subschemas(schema):
        _apply_rules(inner)


def _request_only_components(document: dict[str, Any]) -> set[str]:
    """Component schemas reachable from requests and not from responses."""
    requests: list[Any] = []
    responses: list[Any] = []
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            op = item.get(method)
            if op:
                requests += [op.get("requestBody"), op.get("parameters")]
                responses.append(op.get("responses"))
    schemas = document.get("components", {}).get("schemas", {})

    def closure(roots: list[Any]) -> set[str]:
        seen: set[str] = set()
        todo = [name for root in roots for name in _refs(root)]
        while todo:
            name = todo.pop()
            if name not in seen and name in schemas:
                seen.add(name)
                todo.extend(_refs(schemas[name]))
        return seen

    return closure(requests) - closure(responses)


def apply_input_rules(document: dict[str, Any]) -> None:
    """The input rules on every request schema of ``document`` (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _request_only_components(document):
        _apply_rules(schemas[name])
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            op = item.get(method) or {}
            for parameter in op.get("parameters", []):
                _apply_rules(parameter.get("schema", {}))
            for media_type, media in op.get("requestBody", {}).get("content", {}).items():
                if "json" in media_type and "schema" in media:
                    _apply_rules(media["schema"])


@functools.cache
def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def _literal_segments(template: str) -> int:
    return sum(1 for part in template.split("/") if part and "{" not in part)


def allowed_methods(document: dict[str, Any], path: str) -> list[str]:
    """The methods ``document`` declares for a concrete ``path`` (HEAD with GET).

    Of the templates ``path`` fits, the most specific (most literal segments) are the
    path, as OpenAPI matches concrete paths before templated ones:
    ``/workflow-runs/bulk`` is not also ``/workflow-runs/{runId}``, nor
    ``/workflow-definitions/{id}/pause`` also ``/workflow-definitions/{id}/{version}``.
    """
    paths: dict[str, Any] = document.get("paths", {})
    matching = [t for t in paths if _path_regex(t).match(path)]
    best = max((_literal_segments(t) for t in matching), default=0)
    found = {
        m.upper()
        for t in matching
        if _literal_segments(t) == best
        for m in _METHODS
        if m in paths[t]
    }
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the finished document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version,
                summary=app.summary, description=app.description, routes=app.routes,
                tags=app.openapi_tags, servers=app.servers,
            )  # fmt: skip
            apply_input_rules(document)
            document["components"]["schemas"].update(problem_schemas())
            app.openapi_schema = document
        return app.openapi_schema

    def refused(method: str, allow: list[str]) -> JSONResponse:
        detail = f"{method} is not allowed here; allowed: {', '.join(allow)}"
        headers = {"Allow": ", ".join(allow)}
        return problem_response(405, "METHOD_NOT_ALLOWED", detail, headers=headers)

    async def method_not_allowed(request: Request, _: Exception) -> JSONResponse:
        return refused(request.method, allowed_methods(app.openapi(), request.url.path))

    async def most_specific_path_first(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """The most specific path is the path for routing too: a method it does not
        declare there is a 405, not a less specific route the path also fits (``GET
        /workflow-runs/bulk`` would otherwise be ``GET /workflow-runs/{runId}`` and
        answer 422 "not a uuid"; found by schemathesis). Paths outside the document
        (the UI, /docs, health) pass through."""
        allow = allowed_methods(app.openapi(), request.url.path)
        if allow and request.method not in allow:
            return refused(request.method, allow)
        return await call_next(request)

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
    app.add_exception_handler(405, method_not_allowed)  # Starlette lists one route's method
    app.middleware("http")(most_specific_path_first)
