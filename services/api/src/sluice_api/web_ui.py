"""The built web UI at ``/ui/``: hashed assets cached for good, pages never stale.

Vite writes ``ui/dist/index.html`` and ``ui/dist/assets/<name>-<hash>.<ext>``.
A hashed asset never changes under its name, so it is ``immutable`` for a
year; ``index.html`` (and any other unhashed file) is ``no-cache``, so a new
release is picked up on the next load. Any other path under ``/ui/`` is a
client-side route and gets ``index.html``. The Content-Security-Policy allows
only this origin's scripts (no inline script, no ``eval``); inline *styles*
are allowed because CodeMirror injects its theme as style elements.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

UI_PREFIX = "/ui/"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
IMMUTABLE = "public, max-age=31536000, immutable"  # one year: the name changes with the content
REVALIDATE = "no-cache"
HASHED_DIR = "assets"


def _file_in(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it is a file inside ``root`` (no ``..`` escapes), else None."""
    try:
        candidate = (root / relative).resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return candidate if candidate.is_file() else None


def _serve(path: Path, cache_control: str) -> FileResponse:
    return FileResponse(path, headers={**SECURITY_HEADERS, "Cache-Control": cache_control})


def _not_built(root: Path) -> Response:
    detail = (
        f"The web UI is not built ({root / 'index.html'} is missing). "
        "Run `make setup` (npm ci && npm run build in ui/), or set WF_UI_DIR to a built copy."
    )
    return PlainTextResponse(detail, status_code=503, headers=SECURITY_HEADERS)


def ui_router(root: Path) -> APIRouter:
    """Routes serving the UI built into ``root``, read per request (a rebuild needs no restart)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse(UI_PREFIX, status_code=307)

    @router.get("/ui")
    async def ui_bare() -> RedirectResponse:
        return RedirectResponse(UI_PREFIX, status_code=307)

    @router.get("/ui/{path:path}")
    async def ui_file(path: str) -> Response:
        index = _file_in(root, "index.html")
        if index is None:
            return _not_built(root)
        found = _file_in(root, path) if path else None
        if found is not None:
            hashed = path.startswith(HASHED_DIR + "/")
            return _serve(found, IMMUTABLE if hashed else REVALIDATE)
        if path.startswith(HASHED_DIR + "/"):  # an asset of another build: not a page
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return _serve(index, REVALIDATE)

    return router
