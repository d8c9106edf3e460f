"""The system Chromium driven by Playwright, and small helpers the e2e tests share.

Never Playwright's own browser download: Debian's ``chromium`` is launched by path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


@contextmanager
def system_chromium() -> Iterator[Browser]:
    """One headless system Chromium for as long as the block runs."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page PNG ``artifacts/screens/web-<name>.png`` for a person to look at."""
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENS_DIR / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Runs in the page: every <img> without alt text, every form control without a label
# (a <label for>, a wrapping <label>, aria-label or aria-labelledby). Hidden inputs and
# buttons (labelled by their text) are not form controls that need a label.
_A11Y_PROBLEMS_JS = """
() => {
  const problems = [];
  for (const img of document.querySelectorAll('img')) {
    const alt = img.getAttribute('alt');
    if (alt === null || alt.trim() === '') problems.push('img without alt: ' + img.src);
  }
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
  for (const control of controls) {
    const labelled = (control.labels && control.labels.length > 0
        && Array.from(control.labels).some(l => l.textContent.trim() !== ''))
      || (control.getAttribute('aria-label') || '').trim() !== ''
      || control.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled ' + control.tagName.toLowerCase()
        + ' name=' + control.getAttribute('name'));
  }
  for (const button of document.querySelectorAll('button')) {
    const text = (button.textContent || '').trim() || button.getAttribute('aria-label');
    if (!text) problems.push('button without text');
  }
  return problems;
}
"""


def accessibility_problems(page: Page) -> list[str]:
    """Images without alt text and form controls without a label on the current page."""
    problems: list[str] = page.evaluate(_A11Y_PROBLEMS_JS)
    return problems


def wait_for_images(page: Page) -> None:
    """Scroll every lazy image into view and wait until each has decoded."""
    images = page.locator("img")
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")
