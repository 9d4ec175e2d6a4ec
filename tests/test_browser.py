"""The site in a real browser (Debian's Chromium, driven by Playwright) against the real server.

Pages render, every link a person can follow resolves, and the query page runs a query.
Screenshots go to ``build/screenshots/``. With CI=true a missing Chromium fails the run; elsewhere
these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import time
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
    "releases": "/releases",
    "sparql-describe": "/sparql?query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fpsfkg%2Fid%2Fproject"
    "%2Fjatoc%3E",
    "not-found": "/id/project/no-such-project",
    "search": "/search?q=univrsity+of+turku",
    "about-iris": "/about/iris",
}

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, Route, sync_playwright  # noqa: E402
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
    grave = checked(page, f"{name}-{width}", width)
    context.close()
    assert grave == []
    assert errors == [], errors


def checked(page: Page, shot: str, width: int) -> list[str]:
    """Check the page open in ``page``: it must not scroll sideways at ``width``; save its
    screenshot as ``shot``; and return axe-core's serious and critical violations."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "scrolls sideways"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated as the DevTools do: no CSP applies
    found = page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


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
    navigation (its Accept header): each opens an HTML page or downloads a file under /dumps/ or
    /releases/. A link that names another type (an alternate: ``type="text/turtle"``) must answer
    that type to the same Accept."""
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
                tuple(urlparse(psf_server).path + p for p in ("/dumps/", "/releases/"))
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


# The query editor (YASGUI, vendored): each test runs with the network off beyond 127.0.0.1.
RESULTS_CHIP = ".yasr .yasr_response_chip"


@pytest.fixture
def editor(page: Page, psf_server: str) -> Iterator[Page]:
    """The query page in YASGUI, every request beyond 127.0.0.1 refused and recorded."""
    outside: list[str] = []

    def only_here(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_here)
    page.goto(psf_server + "/query")
    page.wait_for_selector("#yasgui .CodeMirror")
    yield page
    assert outside == [], f"the editor reached beyond this site: {outside}"


def set_query(page: Page, text: str) -> None:
    page.evaluate(
        "t => { psfkgEditor.getTab().setQuery(t); psfkgEditor.getTab().getYasqe().focus(); }", text
    )


def run(page: Page, text: str) -> str:
    """Run a query with Ctrl+Enter; YASR's count of results (``"12 results in 0.01 seconds"``)."""
    set_query(page, text)
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"{RESULTS_CHIP}:has-text('result')")
    return page.inner_text(RESULTS_CHIP)


def test_the_editor_completes_a_prefix_and_a_class(editor: Page, psf_server: str) -> None:
    set_query(editor, "")
    editor.keyboard.type("PREFIX ps")
    editor.wait_for_selector(".CodeMirror-hints li")
    assert editor.locator(".CodeMirror-hints li").all_inner_texts() == [
        "psf: <https://w3id.org/psfkg/def#>"
    ]
    editor.keyboard.press("Enter")
    editor.keyboard.press("End")
    editor.keyboard.type("\nSELECT * WHERE { ?p a psf:Proj")
    editor.wait_for_selector(".CodeMirror-hints li")
    assert editor.locator(".CodeMirror-hints li").all_inner_texts() == ["psf:Project  project"]
    editor.keyboard.press("Enter")
    editor.keyboard.type(" ; schema:name ?name }")
    query = editor.evaluate("psfkgEditor.getTab().getQuery()")
    assert query.startswith("PREFIX schema: <https://schema.org/>\n")  # added on demand
    assert "PREFIX psf: <https://w3id.org/psfkg/def#>\nSELECT * WHERE { ?p a psf:Project ;" in query
    rows = requests.get(psf_server + "/sparql", params={"query": query}, timeout=30).json()
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(
        f"{RESULTS_CHIP}:has-text('{len(rows['results']['bindings'])} results')"
    )
    editor.screenshot(path=str(SHOTS / "query-editor.png"), full_page=True)


def test_the_editor_pages_and_sorts_a_large_answer(editor: Page, psf_server: str) -> None:
    total = requests.get(
        psf_server + "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "format": "csv"},
        timeout=30,
    ).text.split()[1]
    started = time.perf_counter()
    assert run(editor, "SELECT * { ?s ?p ?o }").startswith(f"{total} results")
    shown = time.perf_counter() - started
    assert editor.locator(".yasr tbody tr").count() == 50
    started = time.perf_counter()
    editor.click(".yasr .dt-paging-button.next")
    editor.wait_for_selector(".yasr .dt-info:has-text('Showing 51 to 100')")
    paged = time.perf_counter() - started
    editor.click(".yasr thead th:has-text('s')")
    editor.wait_for_selector(".yasr thead th.dt-ordering-asc, .yasr thead th.dt-ordering-desc")
    assert f"of {int(total):,} entries" in editor.inner_text(".yasr .dt-info")
    assert shown < 5 and paged < 1, (shown, paged)
    editor.screenshot(path=str(SHOTS / "query-paged.png"), full_page=True)


def test_the_editor_shows_a_construct_as_a_graph(editor: Page) -> None:
    chip = run(editor, "CONSTRUCT { ?p a ?c } WHERE { ?p a ?c } LIMIT 5")
    assert chip.startswith("5 results")
    headers = editor.locator(".yasr thead th").all_inner_texts()
    assert [h.strip() for h in headers if h.strip()] == ["subject", "predicate", "object"]
    assert "406" not in editor.inner_text(".yasr")


def test_the_editor_runs_a_named_query_with_its_parameter(editor: Page, psf_server: str) -> None:
    named = psf_server + "/queries/projects-with-partner-from-country?country=SE"
    expected = requests.get(named.replace("country?", "country.csv?"), timeout=30).text
    rows = len(expected.strip().splitlines()) - 1
    editor.goto(named)
    editor.click("text=Open in the editor")
    editor.wait_for_selector("#yasgui .CodeMirror")
    assert 'VALUES (?country) { ("SE") }' in editor.evaluate("psfkgEditor.getTab().getQuery()")
    editor.evaluate("psfkgEditor.getTab().getYasqe().focus()")
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(f"{RESULTS_CHIP}:has-text('{rows} results')")
    editor.select_option(".yasr .tableSizer", "1000")
    countries = editor.locator(".yasr tbody tr td:nth-child(2)").all_inner_texts()
    assert len(countries) == rows and {c.strip().strip('"') for c in countries} == {"SE"}


def test_the_editor_restores_a_shared_link(editor: Page, browser: Browser) -> None:
    query = "SELECT ?p WHERE { ?p a <https://w3id.org/psfkg/def#Project> } LIMIT 3"
    assert run(editor, query).startswith("3 results")
    shared = editor.url
    assert "#query=" in shared
    other = browser.new_context().new_page()
    other.goto(shared)
    other.wait_for_selector("#yasgui .CodeMirror")
    assert other.evaluate("psfkgEditor.getTab().getQuery()") == query
    other.context.close()


def test_an_example_opens_with_its_parameter(editor: Page) -> None:
    editor.select_option("#editor-example", "projects-with-partner-from-country")
    query = editor.evaluate("psfkgEditor.getTab().getQuery()")
    assert query.startswith("# title: Projects with a partner from a given country")
    assert 'VALUES (?country) { ("SE") }' in query


def test_a_shared_link_cannot_send_the_query_elsewhere(editor: Page, psf_server: str) -> None:
    editor.goto("about:blank")  # else only the fragment changes, and the page stays
    editor.goto(psf_server + "/query#query=ASK%20%7B%7D&endpoint=http%3A%2F%2Fexample.org%2Fsparql")
    editor.wait_for_selector("#yasgui .CodeMirror")
    assert editor.evaluate("psfkgEditor.getTab().getQuery()") == "ASK {}"
    assert editor.evaluate("psfkgEditor.getTab().getEndpoint()") == psf_server + "/sparql"
    editor.evaluate("psfkgEditor.getTab().getYasqe().focus()")
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(".yasr .booleanResult:has-text('True')")


def test_the_editor_says_how_to_fix_a_syntax_error(editor: Page) -> None:
    set_query(editor, "SELECT * WHERE { ?s a psf:Project }")
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(".yasr :text('unknown prefix')")
    text = editor.inner_text(".yasr")
    assert "add `PREFIX psf: <https://w3id.org/psfkg/def#>`" in text
    assert "  SELECT * WHERE { ?s a psf:Project }\n                        ^" in text


def test_resources_complete_by_label_or_offer_nothing(editor: Page) -> None:
    def complete(word: str) -> list[str]:
        set_query(editor, "SELECT * WHERE { ?s ?p " + word)
        editor.keyboard.press("Control+End")
        editor.keyboard.press("Control+Space")
        editor.wait_for_timeout(500)
        hints = editor.locator(".CodeMirror-hints li").all_inner_texts()
        editor.keyboard.press("Escape")
        return hints

    if (
        requests.get(editor.url.split("/query")[0] + "/search.json?q=x", timeout=30).status_code
        == 404
    ):
        assert complete("Turku") == []  # no search on this site yet: nothing offered, no error
    found = {
        "query": "turku",
        "total": 2,
        "results": [
            {
                "iri": "https://w3id.org/psfkg/id/organisation/university-of-turku",
                "url": "/id/organisation/university-of-turku",
                "label": "University of <b>Turku</b>",
                "type": "Organisation",
            },
            {"iri": "javascript:alert(1)", "url": "x", "label": "bad", "type": "Organisation"},
        ],
    }
    editor.route("**/search.json?*", lambda route: route.fulfill(json=found))
    assert complete("Turku") == [
        "University of <b>Turku</b> (Organisation)  "
        "<https://w3id.org/psfkg/id/organisation/university-of-turku>"
    ]


def test_the_editor_passes_axe_core(browser: Browser, psf_server: str) -> None:
    """No serious or critical violation with a result drawn (axe-core, vendored; the context
    bypasses the page's policy only to inject it)."""
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    opened.goto(psf_server + "/query")
    opened.wait_for_selector("#yasgui .CodeMirror")
    assert run(opened, "SELECT * { ?s ?p ?o } LIMIT 20").startswith("20 results")
    opened.add_script_tag(path=str(AXE))
    found = opened.evaluate(
        "axe.run().then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))"
    )
    assert [v for v in found if v[1] in ("serious", "critical")] == []
    context.close()


# The editor's Chart view (static/query-chart.js) and completion against the real search.
def run_top_organisations(page: Page, psf_server: str) -> list[str]:
    """Run the named query top-organisations in the editor; each row as the chart's bar names
    it: the organisation's name, its country, and its number of projects."""
    page.select_option("#editor-example", "top-organisations")
    text = page.evaluate("psfkgEditor.getTab().getQuery()")
    rows = requests.get(psf_server + "/sparql", params={"query": text}, timeout=30).json()
    bindings = rows["results"]["bindings"]
    assert 1 < len(bindings) <= 50
    page.evaluate("psfkgEditor.getTab().getYasqe().focus()")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"{RESULTS_CHIP}:has-text('{len(bindings)} results')")
    labels = (("organisationLabel", "countryLabel"), " · ")
    return [
        labels[1].join(b[v]["value"] for v in labels[0] if v in b) + ": " + b["projects"]["value"]
        for b in bindings
    ]


def test_the_editor_charts_a_named_query(editor: Page, psf_server: str) -> None:
    bars = run_top_organisations(editor, psf_server)
    editor.click(".yasr .select_chart")
    chart = editor.locator(".yasr svg.chart-bars[role=img]")
    chart.wait_for()
    assert editor.locator(".yasr .chart-bar > title").all_text_contents() == bars
    assert editor.locator(".yasr .chart-numbers li").all_text_contents() == bars
    drawn = editor.locator(".yasr .chart-label").all_text_contents()
    assert [b.startswith(t.rstrip("…")) for b, t in zip(bars, drawn, strict=True)] == [True] * len(
        bars
    )
    values = editor.locator(".yasr .chart-value").all_text_contents()
    assert values == [b.rsplit(": ", 1)[1] for b in bars]
    assert f"{len(bars)} bars" in (chart.get_attribute("aria-label") or "")
    assert editor.locator(".yasr svg.chart-bars > title").text_content() == (
        "projects by organisationLabel and countryLabel"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    editor.screenshot(path=str(SHOTS / "query-chart.png"), full_page=True)
    editor.set_viewport_size({"width": 400, "height": 900})
    editor.wait_for_timeout(200)
    assert editor.evaluate("document.documentElement.scrollWidth") <= 400
    editor.screenshot(path=str(SHOTS / "query-chart-400.png"), full_page=True)


def test_the_chart_is_offered_only_where_it_fits(editor: Page, psf_server: str) -> None:
    tab = editor.locator(".yasr .select_chart")
    assert not tab.is_visible()  # nothing drawn yet
    assert run(editor, "SELECT * { ?s ?p ?o } LIMIT 20").startswith("20 results")
    assert not tab.is_visible()
    run_top_organisations(editor, psf_server)
    assert tab.is_visible()
    two_numbers = "SELECT ?s (1 AS ?a) (2 AS ?b) { ?s a <https://w3id.org/psfkg/def#Project> }"
    set_query(editor, two_numbers + " LIMIT 3")
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(f"{RESULTS_CHIP}:has-text('3 results')")
    assert not tab.is_visible()


def test_the_chart_draws_50_bars_at_most_and_text_as_text(editor: Page) -> None:
    tab = editor.locator(".yasr .select_chart")
    set_query(editor, "SELECT ?s (STRLEN(STR(?s)) AS ?n) { ?s a ?c FILTER(isIRI(?s)) }")
    editor.keyboard.press("Control+Enter")
    editor.wait_for_selector(f"{RESULTS_CHIP}:has-text('result')")
    total = int(editor.inner_text(RESULTS_CHIP).split()[0].replace(",", ""))
    assert total > 50
    tab.click()
    editor.wait_for_selector(".yasr svg.chart-bars")
    assert editor.locator(".yasr .chart-bar").count() == 50
    assert f"only the first 50 of {total} rows are drawn" in editor.inner_text(".yasr figcaption")
    set_query(editor, 'SELECT ("<b>bold</b>" AS ?label) (-3 AS ?n) {}')
    editor.keyboard.press("Control+Enter")
    editor.locator(".yasr .chart-label", has_text="<b>bold</b>").wait_for()
    assert editor.locator(".yasr .chart-bar").count() == 1
    assert editor.locator(".yasr .chart-label").text_content() == "<b>bold</b>"
    assert editor.locator(".yasr b").count() == 0


def test_the_chart_passes_axe_core(browser: Browser, psf_server: str) -> None:
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    opened.goto(psf_server + "/query")
    opened.wait_for_selector("#yasgui .CodeMirror")
    run_top_organisations(opened, psf_server)
    opened.click(".yasr .select_chart")
    opened.wait_for_selector(".yasr svg.chart-bars")
    opened.add_script_tag(path=str(AXE))
    found = opened.evaluate(
        "axe.run().then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))"
    )
    assert [v for v in found if v[1] in ("serious", "critical")] == []
    context.close()


def test_resources_complete_from_the_real_search(editor: Page) -> None:
    set_query(editor, "SELECT * WHERE { ?x ?p Turku")
    editor.keyboard.press("Control+End")
    editor.keyboard.press("Control+Space")
    hints = editor.locator(".CodeMirror-hints li")
    hints.first.wait_for()
    iri = "<https://w3id.org/psfkg/id/organisation/university-of-turku>"
    offered = hints.all_inner_texts()
    assert any(h.endswith("  " + iri) and "Turku" in h for h in offered), offered
    editor.locator(".CodeMirror-hints li", has_text=iri).first.click()
    assert editor.evaluate("psfkgEditor.getTab().getQuery()") == "SELECT * WHERE { ?x ?p " + iri


def test_the_query_page_works_without_javascript(browser: Browser, psf_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    opened.goto(psf_server + "/query")
    assert opened.is_visible("#query") and not opened.is_visible("#yasgui")
    opened.fill("#query", "SELECT (COUNT(*) AS ?n) { ?p a <https://w3id.org/psfkg/def#Project> }")
    opened.click("#query-form button[type=submit]")
    assert opened.inner_text("#results table tbody") == "28"
    assert "/query?query=" in opened.url
    context.close()


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


def test_search_box_suggests_a_misspelt_organisation(page: Page, psf_server: str) -> None:
    page.goto(psf_server + "/browse/projects")
    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("Univrsity of Trku", delay=20)
    option = page.get_by_role("option").filter(has_text="University of Turku").first
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-suggestions.png"))
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "site-search-option-0"
    with page.expect_navigation():
        box.press("Enter")
    assert page.url == psf_server + "/id/organisation/university-of-turku"
    assert page.locator("main h1").inner_text() == "University of Turku"


@pytest.mark.parametrize("width", WIDTHS)
def test_release_pages_render_and_pass_axe_core(
    browser: Browser, psf_server: str, width: int
) -> None:
    """A release's own page (reached from /releases), its changes and a record as it holds it
    (a memento) fit the width and have no serious or critical accessibility violation."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(psf_server + "/releases")
    page.locator("table.releases a").first.click()
    page.wait_for_url("**/releases/*/")
    home = page.url
    assert "Cite this release" in page.inner_text("main")
    grave = checked(page, f"release-{width}", width)
    page.goto(home + "changes")
    assert page.locator("main h1").count() == 1
    grave += checked(page, f"release-changes-{width}", width)
    page.goto(home + "id/project/jatoc")
    assert "JATOC" in page.inner_text("main h1")
    grave += checked(page, f"memento-{width}", width)
    context.close()
    assert grave == []
