"""``/docs``: Swagger UI from the installed package (``swagger-ui-bundle-v2``), no CDN.

FastAPI's own ``/docs`` loads Swagger UI's script and styles from a public CDN, so
without internet access it is a blank page. Here the page, Swagger UI's two files
and the small start script (``static/docs.js``) are all served by the API, under the
same security headers as the web UI (``web_ui.SECURITY_HEADERS``: scripts from this
origin only, no inline script, no ``eval``). Swagger UI 5 renders OpenAPI 3.1.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from sluice_api.web_ui import SECURITY_HEADERS

DOCS_PATH = "/docs"
_START_SCRIPT = Path(str(resources.files("sluice_api") / "static" / "docs.js"))
_ASSETS = {  # name under /docs/ -> file
    "swagger-ui.css": Path(str(swagger_ui_path)) / "swagger-ui.css",
    "swagger-ui-bundle.js": Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
    "docs.js": _START_SCRIPT,
}
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sluice API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/docs.js"></script>
</body>
</html>
"""
# The assets change only with the package version: an hour of caching, then revalidate.
_ASSET_CACHE = "public, max-age=3600"


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_PATH)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @router.get(DOCS_PATH + "/{name}")
    async def docs_asset(name: str) -> Response:
        path = _ASSETS.get(name)
        if path is None:
            return HTMLResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return FileResponse(path, headers={**SECURITY_HEADERS, "Cache-Control": _ASSET_CACHE})

    return router
