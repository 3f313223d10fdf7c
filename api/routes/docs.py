"""The interactive API reference at /docs: Swagger UI served from the installed package, not a CDN.

FastAPI's default /docs loads Swagger UI from a CDN with an inline script, so it is blank offline and
cannot run under the pages' CSP. Here the page is ours: the assets come from the `swagger-ui-bundle-v2`
wheel (Swagger UI 5, which reads OpenAPI 3.1), and a small start-up script of ours, all from 'self'.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # the wheel ships no py.typed

from api.routes.web import SECURITY_HEADERS  # the pages' CSP: scripts and styles from 'self' only

ASSETS: Final = "/docs-assets"
router = APIRouter(include_in_schema=False)

_PAGE: Final = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>whydenied API reference</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  <script src="{ASSETS}/swagger-ui-bundle.js" defer></script>
  <script src="/static/docs.js" defer></script>
</head>
<body>
  <main id="swagger-ui" data-spec="/openapi.json">
    <noscript><p>The interactive reference needs JavaScript. The contract itself is at
    <a href="/openapi.json">/openapi.json</a>.</p></noscript>
  </main>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    """Swagger UI for /openapi.json, every asset from this server."""
    return HTMLResponse(_PAGE, headers=SECURITY_HEADERS)


def install(app: FastAPI) -> None:
    """Serve the page and the Swagger UI files (the app is built with docs_url=None)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
