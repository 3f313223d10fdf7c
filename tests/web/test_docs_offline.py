"""/docs in real Chromium with the network cut off: Swagger UI comes from this server, under its CSP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.web.conftest import screenshot


def test_docs_render_every_operation_with_no_outside_request(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    local = urlsplit(live_server).netloc
    outside: list[str] = []
    refused: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:  # a CDN, a validator, a font: the page must not need any of them
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/v1/diagnose", "/v1/entries/{entry_id}", "/v1/search"} <= {path.strip() for path in paths}
    assert page.locator(".info .title").inner_text().startswith("whydenied")
    page.locator(".opblock-summary-path", has_text="/v1/diagnose").first.click()  # an operation opens offline
    page.wait_for_selector(".opblock.is-open .opblock-description-wrapper, .opblock.is-open .parameters-container")
    assert outside == []
    assert refused == []  # nothing the page runs is blocked by the CSP
    screenshot(page, "api-docs-offline")
    context.close()
