"""Save the README's screenshots of the verdict card: `python -m tests.web.screenshots [OUT_DIR]`.

The four real pastes of tests/web/test_verdict_card.py (AWS, GCP, HTTP, CORS), each at 1280 and
390 px wide, in Debian's Chromium, as the first screen after the result arrives (the page scrolls to
the result as a reader's would, with the focus on the verdict). Default OUT_DIR: docs/screenshots.
"""

from __future__ import annotations

import sys
from pathlib import Path

from api.catalog import load_catalog
from api.main import create_app
from api.settings import Settings
from tests.servers import serving
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.test_verdict_card import SAMPLES, WIDTHS, show

HEIGHTS = {1280: 900, 390: 844}


def main() -> None:
    """Write verdict-<sample>-<width>.png for every sample and width."""
    from playwright.sync_api import sync_playwright

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = create_app(Settings(database_url="sqlite://"), catalog=load_catalog())
    with serving(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for sample in SAMPLES:
            for width in WIDTHS:
                context = browser.new_context(base_url=url, viewport={"width": width, "height": HEIGHTS[width]})
                page = context.new_page()
                show(page, sample)
                page.locator("#result").evaluate("el => el.scrollIntoView()")
                path = out / f"verdict-{sample.name}-{width}.png"
                page.screenshot(path=str(path))
                print(path)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
