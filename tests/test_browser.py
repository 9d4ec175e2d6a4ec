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
LINKS = "links => links.map(a => [a.getAttribute('href'), a.getAttribute('type') || ''])"

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
    "catalogue": "/catalog",
    "void": "/.well-known/void",
    "downloads": "/dumps",
    "sparql-describe": "/sparql?query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fpsfkg%2Fid%2Fproject"
    "%2Fjatoc%3E",
    "not-found": "/id/project/no-such-project",
}

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402


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


@pytest.mark.parametrize("name", PAGES)
def test_page_renders(page: Page, psf_server: str, name: str) -> None:
    response = page.goto(psf_server + PAGES[name])
    assert response is not None
    assert response.status == (404 if name == "not-found" else 200)
    assert page.locator("main h1").count() == 1
    assert page.title().endswith("CBSS PSF knowledge graph")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def same_site_links(page: Page, url: str, site: str) -> list[tuple[str, str]]:
    """(URL, the ``type`` it names or "") of every link on ``page`` (at ``url``) to ``site``."""
    found = []
    for href, kind in page.eval_on_selector_all("a[href]", LINKS):
        target = urldefrag(urljoin(url, href))[0]
        if urlparse(target).netloc == urlparse(site).netloc:
            found.append((target, kind))
    return found


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
        queue += [t for t, _ in same_site_links(page, url, psf_server) if t not in seen]
    session.close()
    assert broken == []
    assert len(seen) > 150


def test_every_link_opens_a_page_in_chromium(page: Page, psf_server: str) -> None:
    """Follow every link of the landing page, and of the pages it reaches, with Chromium's own
    navigation (its Accept header): each opens an HTML page or downloads a file under /dumps/.
    A link that names another type (an alternate: ``type="text/turtle"``) must answer that type
    to the same Accept."""
    depth = {psf_server + "/": 0}
    queue = [psf_server + "/"]
    named: dict[str, str] = {}
    wrong: list[str] = []
    accepts: set[str] = set()
    while queue:
        url = queue.pop(0)
        try:
            response = page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as error:
            if "Download is starting" not in str(error) or not urlparse(url).path.startswith(
                urlparse(psf_server).path + "/dumps/"
            ):
                wrong.append(f"{url}: {str(error).splitlines()[0]}")
            continue
        assert response is not None
        accepts.add(response.request.all_headers().get("accept", ""))
        kind = response.headers.get("content-type", "")
        if response.status != 200 or not kind.startswith("text/html"):
            wrong.append(f"{url}: {response.status} {kind}")
            continue
        if depth[url] == 2:
            continue
        for target, named_type in same_site_links(page, url, psf_server):
            if named_type and named_type != "text/html":
                named.setdefault(target, named_type)
            elif target not in depth:
                depth[target] = depth[url] + 1
                queue.append(target)
    # Chromium's own header, not one the test chose: text/html first.
    assert len(accepts) == 1 and next(iter(accepts)).startswith("text/html,")
    assert wrong == [], "\n".join(wrong)
    assert len(depth) > 150
    session = requests.Session()
    for url, named_type in named.items():
        response = session.get(url, headers={"Accept": next(iter(accepts))}, timeout=30)
        if response.status_code != 200 or not response.headers["Content-Type"].startswith(
            named_type
        ):
            wrong.append(f"{url}: {response.status_code} {response.headers['Content-Type']}")
    session.close()
    assert wrong == []
    assert len(named) > 20


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


def test_a_two_value_facet_is_chosen_by_clicking(page: Page, psf_server: str) -> None:
    page.goto(psf_server + "/browse/projects")
    countries = page.locator('section[aria-label="Country"]')
    countries.get_by_role("link", name="Sweden", exact=True).click()
    page.wait_for_url("**country=sweden")
    countries.get_by_role("link", name="Finland", exact=True).click()
    page.wait_for_url("**country=finland")
    assert "country=sweden&country=finland" in page.url
    assert countries.locator("a[aria-current=true]").all_inner_texts() == ["✓ Finland", "✓ Sweden"]
    listed = requests.get(psf_server + "/browse/projects.json?country=sweden&country=finland")
    total = listed.json()["total"]
    assert total > 18 and f"{total} projects match the filters" in page.inner_text("main")
    assert page.locator("table.browse tbody tr").count() == total
    page.screenshot(path=str(SHOTS / "browse-two-countries.png"), full_page=True)
