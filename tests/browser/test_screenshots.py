"""Screenshots of the demo board for the README, written to docs/screenshots/ on every run.

The demo data is seeded with a fixed random seed and dated relative to now, so the pictures only
change when the design does (or a relative date crosses a boundary).
"""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo_site import STAFF, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 780}
MAX_BYTES = 300_000


def shoot(page, base_url, path, name, full_page=False):
    """Open `path`, wait for the page to settle and save docs/screenshots/<name>.png; returns its path."""
    page.goto(f"{base_url}{path}")
    expect(page.locator("main")).to_be_visible()
    page.evaluate("document.fonts.ready")
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=full_page, animations="disabled", caret="hide")
    return target


@pytest.fixture
def screenshot_context(browser):
    """make(viewport, theme, email=None): a context at that size and theme, signed in when asked."""
    contexts = []

    def make(base_url, viewport, theme, email=None):
        context = browser.new_context(viewport=viewport, color_scheme=theme, reduced_motion="reduce")
        contexts.append(context)
        if email:
            sign_in(context, base_url, email)
        return context.new_page()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield make
    for context in contexts:
        context.close()


def test_screenshots_of_the_main_pages_are_written_and_small(screenshot_context, demo_site):
    url = demo_site.url
    visitor = screenshot_context(url, DESKTOP, "light")
    staff = screenshot_context(url, DESKTOP, "light", STAFF)
    dark = screenshot_context(url, DESKTOP, "dark")
    phone = screenshot_context(url, PHONE, "light")

    written = [
        shoot(visitor, url, "/?sort=top", "board"),
        shoot(visitor, url, f"/ideas/{demo_site.showcase_id}", "idea", full_page=True),
        shoot(visitor, url, "/roadmap", "roadmap"),
        shoot(staff, url, "/staff/", "staff-inbox"),
        shoot(dark, url, f"/ideas/{demo_site.showcase_id}", "idea-dark"),
        shoot(phone, url, "/?sort=top", "board-phone"),
    ]

    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG"), path
        assert 10_000 < path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"
