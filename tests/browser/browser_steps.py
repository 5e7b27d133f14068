"""Steps the browser tests share: sign up, press plain forms, prove a change was in place."""
import re
import time
import uuid
from contextlib import contextmanager

from playwright.sync_api import expect

# The ideas `live_server` seeds, by the number a fresh database gives them.
DARK_MODE, EXPORT_CSV, SEARCH_PROBLEM, PRAISE = 1, 2, 3, 4
SEEDED_IDEAS = {
    DARK_MODE: ("Add a dark mode", "Night owls need it: white pages at midnight hurt.", "idea"),
    EXPORT_CSV: ("Export my data as CSV", "So I can share the numbers with my team.", "idea"),
    SEARCH_PROBLEM: ("The search forgets my filters", "Going back resets what I chose.", "problem"),
    PRAISE: ("The new board is lovely", "Much quicker to find what I need.", "praise"),
}

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@contextmanager
def no_page_load(page, pushes_url=False):
    """Fail unless the block changes the page in place: no navigation, window state survives.

    With `pushes_url`, a history.pushState (which Playwright reports as a navigation) is fine.
    """
    marker = uuid.uuid4().hex
    page.evaluate("marker => { window.__samePage = marker; }", marker)
    navigations = []

    def record(frame):
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", record)
    try:
        yield
    finally:
        page.remove_listener("framenavigated", record)
    assert pushes_url or navigations == [], f"the page navigated to {navigations}"
    assert page.evaluate("window.__samePage") == marker, "the page was loaded again"


def submit(page, button):
    """Press a plain form's button; returns the status of the POST that redirected the page."""
    with page.expect_navigation() as navigation:
        button.click()
    post = navigation.value.request.redirected_from
    assert post is not None, f"{page.url} was not reached through a redirect"
    assert post.method == "POST"
    return post.response().status


def sign_up(page, base_url, member):
    """Create an account through the sign-up form; the member lands signed in on the board."""
    page.goto(f"{base_url}/auth/signup")
    page.get_by_label("Name", exact=True).fill(member["name"])
    page.get_by_label("Email", exact=True).fill(member["email"])
    page.get_by_label("Password", exact=True).fill(member["password"])
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page.locator("#notices")).to_contain_text("Welcome!")
    expect(page.get_by_role("link", name=member["name"], exact=True)).to_be_visible()


def sign_up_quickly(page, base_url, member):
    """Post the sign-up form without drawing it, for tests about something else."""
    form = page.request.get(f"{base_url}/auth/signup").text()
    token = CSRF_FIELD.search(form).group(1)
    response = page.request.post(f"{base_url}/auth/signup", max_redirects=0,
                                 form={"csrf_token": token, **member})
    assert response.status == 303, response.text()


def idea_id_from(url):
    """The idea number in an idea page's address."""
    return int(re.search(r"/ideas/(\d+)", url).group(1))


def wait_for(page, condition, timeout=2.0):
    """Poll `condition` until it is truthy or `timeout` seconds pass; returns its last value.

    Waits through the page, not time.sleep: Playwright delivers events only while it runs.
    """
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return value


def sign_in_with_form(page, base_url, email, password):
    """Sign in through the form as someone else: the cookies of whoever was signed in go first."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_attached()
