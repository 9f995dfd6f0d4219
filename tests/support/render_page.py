"""Opens a page in headless Chromium (driven by Playwright), prints the text a reader sees
(`innerText`, so hidden elements do not count) and saves a full-page screenshot."""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

chromium, page_path, screenshot = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path=chromium,
        # a closed network: no background services, no sandbox for root in containers
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    if failed:
        raise SystemExit(f"resources failed to load: {failed}")
    print(page.inner_text("body"))
    page.screenshot(path=screenshot, full_page=True)
    browser.close()
