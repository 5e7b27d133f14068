"""Screenshots of the demo board for the README.

A test run writes them to a temporary folder and checks each is a real, small picture; it never
touches the committed ones, since fonts and antialiasing differ from machine to machine.
`make screenshots` (this file with --update-screenshots) refreshes docs/screenshots/: the demo
data is seeded with a fixed random seed and dated relative to now, and a new picture replaces the
committed one only when more than a few pixels changed, so only a change of design shows in git.
"""
import base64
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo_site import STAFF, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 780}
MAX_BYTES = 300_000
NOISE_PIXELS = 200

# Both PNGs drawn on canvases in the page; how many pixels differ (all of them if the sizes do).
COUNT_CHANGED_PIXELS = """async ([before, after]) => {
  const load = data => new Promise((done, fail) => {
    const image = new Image(); image.onload = () => done(image); image.onerror = fail;
    image.src = "data:image/png;base64," + data;
  });
  const pixels = image => {
    const canvas = document.createElement("canvas");
    canvas.width = image.width; canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, image.width, image.height).data;
  };
  const [old, now] = await Promise.all([load(before), load(after)]);
  if (old.width !== now.width || old.height !== now.height) return now.width * now.height;
  const a = pixels(old), b = pixels(now);
  let changed = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed++;
  }
  return changed;
}"""


def shoot(page, folder, base_url, path, name, full_page=False):
    """Open `path`, wait for the page to settle and save `folder`/<name>.png, unless the picture
    there differs only by noise; returns its path and the picture taken."""
    page.goto(f"{base_url}{path}")
    expect(page.locator("main")).to_be_visible()
    page.evaluate("document.fonts.ready")
    target = folder / f"{name}.png"
    picture = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
    if not target.exists() or changed_pixels(page, target.read_bytes(), picture) > NOISE_PIXELS:
        target.write_bytes(picture)
    return target, picture


def changed_pixels(page, before, after):
    """How many pixels differ between two PNGs, counted in the page's canvas."""
    encoded = [base64.b64encode(picture).decode() for picture in (before, after)]
    return page.evaluate(COUNT_CHANGED_PIXELS, encoded)


@pytest.fixture
def screenshot_folder(request, tmp_path):
    """docs/screenshots/ under `make screenshots` (--update-screenshots), else a temporary folder."""
    if request.config.getoption("update_screenshots"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


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

    yield make
    for context in contexts:
        context.close()


def test_screenshots_of_the_main_pages_are_written_and_small(screenshot_context, screenshot_folder,
                                                            demo_site):
    url, folder = demo_site.url, screenshot_folder
    visitor = screenshot_context(url, DESKTOP, "light")
    staff = screenshot_context(url, DESKTOP, "light", STAFF)
    dark = screenshot_context(url, DESKTOP, "dark")
    phone = screenshot_context(url, PHONE, "light")

    written = [
        shoot(visitor, folder, url, "/?sort=top", "board"),
        shoot(visitor, folder, url, f"/ideas/{demo_site.showcase_id}", "idea", full_page=True),
        shoot(visitor, folder, url, "/roadmap", "roadmap"),
        shoot(staff, folder, url, "/staff/", "staff-inbox"),
        shoot(dark, folder, url, f"/ideas/{demo_site.showcase_id}", "idea-dark"),
        shoot(phone, folder, url, "/?sort=top", "board-phone"),
        shoot(dark, folder, url, "/pulse", "pulse-dark"),
    ]

    for (path, picture), width in zip(written, [1280] * 5 + [360, 1280], strict=True):
        assert picture.startswith(b"\x89PNG") and path.exists(), path
        assert 10_000 < len(picture) < MAX_BYTES, f"{path.name}: {len(picture)} bytes"
        # A full-page picture is as wide as the page: wider than the window means it overflowed.
        assert int.from_bytes(picture[16:20], "big") == width, path.name
