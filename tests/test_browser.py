"""The live preview in a real headless Chromium (Debian's /usr/bin/chromium, via Playwright):
edits reload the open tab; a broken page shows the error page, and fixing it brings it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_server import FIRST_URL, SECOND_URL, Served, make_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
WAIT_MS = 15_000

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def served(tmp_path):
    server = Served(make_site(tmp_path / "site"))
    yield server
    assert server.stop() == 0


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()


def open_connected(page, url: str) -> None:
    """Open ``url`` and wait until its livereload client is connected."""
    page.goto(url)
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector && "
                           "window.LiveReload.connector._isSocketConnected()")


def test_editing_an_article_reloads_the_open_tab(served, page):
    open_connected(page, served.url + FIRST_URL)
    assert page.locator("h1").first.inner_text() == "First story"
    page.evaluate("window.__notReloaded = true")
    served.site.page("2024/03/first.md", title="First story, edited live", date="2024-03-05",
                     body="The first body.", id="first", slug="first-story")
    page.wait_for_function("() => !window.__notReloaded && "
                           "document.querySelector('h1').innerText === 'First story, edited live'")
    # the reload script is in the served page, not in the written file
    assert page.locator("script[data-sitegen-livereload]").count() == 1
    assert "livereload" not in (served.site.public / FIRST_URL.strip("/") / "index.html"
                                ).read_text(encoding="utf-8")


def test_broken_front_matter_shows_the_error_page_and_fixing_it_restores(served, page):
    open_connected(page, served.url + FIRST_URL)
    served.site.write("content/2024/03/first.md",
                      "---\ntitle: First story\ndate: [2024-03-05\nid: first\nslug: first-story\n"
                      "---\n\nBody.\n")
    error = page.locator("#sitegen-error-page")
    error.wait_for()
    text = error.inner_text()
    assert "content/2024/03/first.md:" in text and "error" in text
    other = page.context.new_page()
    other.goto(served.url + SECOND_URL)
    assert other.locator("h1").first.inner_text() == "Second story"
    assert other.locator("#sitegen-error-overlay").is_visible()
    served.site.page("2024/03/first.md", title="First story, fixed", date="2024-03-05",
                     body="The first body.", id="first", slug="first-story")
    page.wait_for_function("() => document.querySelector('h1') && "
                           "document.querySelector('h1').innerText === 'First story, fixed'")
    assert page.locator("#sitegen-error-page").count() == 0
    other.locator("#sitegen-error-overlay").wait_for(state="detached")  # it reloaded too


def test_a_css_change_restyles_the_open_tab(served, page):
    open_connected(page, served.url + SECOND_URL)
    page.evaluate("() => { window.__notReloaded = true }")
    # the site's own static/style.css overrides the theme's
    served.site.write("static/style.css", "body { color: rgb(1, 2, 3) }\n")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(1, 2, 3)'")
    # only a stylesheet changed: it was swapped in place, the page was not reloaded
    assert page.evaluate("() => window.__notReloaded === true")
