"""The site in a real browser (Debian's Chromium, driven by Playwright) against the real server.

Pages render, every link a person can follow resolves, and the query page runs a query.
Screenshots go to ``build/screenshots/``. With CI=true a missing Chromium fails the run; elsewhere
these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import requests

from psfkg.config import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = PROJECT_ROOT / "build" / "screenshots"
#: axe-core, vendored for these tests (scripts/vendor-assets refreshes it).
AXE = PROJECT_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
#: A desktop and a phone: every page kind is rendered, checked and shot at both.
WIDTHS = (1280, 400)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HREFS = "links => links.map(a => a.getAttribute('href'))"
PAGES = {
    "landing": "/",
    "project": "/id/project/jatoc",
    "organisation": "/id/organisation/university-of-turku",
    "country": "/id/country/sweden",
    "priority-areas": "/id/priority-areas",
    "browse-projects": "/browse/projects?country=sweden",
    "browse-organisations": "/browse/organisations",
    "queries": "/queries",
    "named-query": "/queries/projects-with-partner-from-country?country=FI",
    "ontology": "/def",
    "validation": "/validation",
    "source": "/source/cbss-psf-past-projects",
    "not-found": "/id/project/no-such-project",
}

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_renders(browser: Browser, psf_server: str, name: str, width: int) -> None:
    """Each page kind renders at a desktop and a phone width without sideways scrolling, and
    axe-core finds no serious or critical accessibility violation in it."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(psf_server + PAGES[name])
    assert response is not None
    assert response.status == (404 if name == "not-found" else 200)
    assert page.locator("main h1").count() == 1
    assert page.title().endswith("CBSS PSF knowledge graph")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "scrolls sideways"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated as the DevTools do: no CSP applies
    found = page.evaluate("async () => (await axe.run()).violations")
    grave = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    context.close()
    assert grave == []
    assert errors == [], errors


def test_every_link_resolves(page: Page, psf_server: str) -> None:
    """Start at the landing page and follow every link on this site (bounded), as a person would."""
    seen: set[str] = set()
    queue = [psf_server + "/"]
    broken: list[str] = []
    session = requests.Session()
    while queue and len(seen) < 600:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = session.get(url, timeout=30)
        if response.status_code != 200:
            broken.append(f"{response.status_code} {url}")
            continue
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        page.set_content(response.text)
        for href in page.eval_on_selector_all("a[href]", HREFS):
            target = urldefrag(urljoin(url, href))[0]
            if urlparse(target).netloc == urlparse(psf_server).netloc and target not in seen:
                queue.append(target)
    session.close()
    assert broken == []
    assert len(seen) > 150


def test_query_page_runs_a_query(page: Page, psf_server: str) -> None:
    page.goto(psf_server + "/query")
    page.select_option("#example", "top-organisations")
    assert "HAVING" in page.input_value("#query")
    page.click("button[type=submit]")
    page.wait_for_selector("#results table tbody tr")
    rows = page.locator("#results table tbody tr").count()
    assert rows == 9
    assert "/query?query=" in page.url
    page.screenshot(path=str(SHOTS / "query.png"), full_page=True)


def test_facets_work_without_javascript(browser: Browser, psf_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    opened.goto(psf_server + "/browse/projects")
    opened.click("text=Finland")
    assert "country=finland" in opened.url
    assert "projects match the filters" in opened.inner_text("main")
    context.close()


def test_data_cannot_make_a_javascript_link(page: Page, psf_server: str) -> None:
    for url in PAGES.values():
        page.goto(psf_server + url)
        hrefs = page.eval_on_selector_all("a[href]", HREFS)
        assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
