"""The w3id.org redirect (deploy/w3id/psfkg/.htaccess) in a real Apache in front of psfkg.

w3id.org serves its repository with Apache, one folder per project and ``AllowOverride All``;
the test does the same on 127.0.0.1: Debian's ``apache2`` with its own configuration, a
document root holding ``psfkg/.htaccess`` (the committed file, its one target line pointed at
the psfkg server the test starts) and mod_rewrite and mod_headers. The release is built under
Apache's own URL (``http://127.0.0.1:<port>/psfkg/``), so that every IRI in the data is one a
client can follow through the redirect, as it will follow ``https://w3id.org/psfkg/``. The
clients are real: requests, and rdflib loading an IRI. With CI=true a missing apache2 fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from rdflib import OWL, RDF, Graph, URIRef

from psfkg.config import PROJECT_ROOT
from psfkg.namespaces import ONTOLOGY_VERSION_IRI

from .conftest import DATA, REMOVED_PARTNERSHIP, build
from .live import free_port, live_server, stop

APACHE = shutil.which("apache2") or (
    "/usr/sbin/apache2" if Path("/usr/sbin/apache2").exists() else None
)
MODULES = Path("/usr/lib/apache2/modules")
HTACCESS = PROJECT_ROOT / "deploy" / "w3id" / "psfkg" / ".htaccess"
#: Where the committed .htaccess sends IRIs: its one target line, rewritten for the test.
TARGET = "E=PSFKG_SITE:https://psfkg.example.org]"
#: Chromium's Accept for a page.
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
VERSION = ONTOLOGY_VERSION_IRI.rsplit("/", 1)[-1]
CONF = """ServerRoot {run}
DefaultRuntimeDir {run}
PidFile {run}/httpd.pid
ErrorLog {run}/error.log
LogLevel warn
Listen 127.0.0.1:{port}
ServerName 127.0.0.1
{user}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule headers_module {modules}/mod_headers.so
LoadModule rewrite_module {modules}/mod_rewrite.so
DocumentRoot {root}
AccessFileName .htaccess
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {root}>
  AllowOverride All
  Require all granted
</Directory>
"""


@dataclass(frozen=True)
class W3id:
    """Apache with the redirect, and the psfkg site it redirects to."""

    base: str  # the release's base IRI, served by Apache: http://127.0.0.1:<port>/psfkg/
    site: str  # psfkg's own URL, ending in /


@pytest.fixture(scope="module")
def w3id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[W3id]:
    """Two releases (the second without one participation) built under Apache's URL, psfkg
    serving them, and Apache redirecting that URL to psfkg."""
    if APACHE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("apache2 is not installed: .ci/run installs Debian's apache2")
        pytest.skip("apache2 is not installed (apt-get install apache2)")
    port = free_port()
    base = f"http://127.0.0.1:{port}/psfkg/"
    releases, data = tmp_path_factory.mktemp("w3id-releases"), tmp_path_factory.mktemp("w3id")
    build(DATA, releases, base)
    shutil.copytree(DATA, data / "data")
    rows = (data / "data" / "participations.csv").read_text(encoding="utf-8").splitlines(True)
    project, organisation = REMOVED_PARTNERSHIP.split("--")
    kept = [r for r in rows if not r.startswith(f"{project},{organisation},")]
    (data / "data" / "participations.csv").write_text("".join(kept), encoding="utf-8")
    build(data / "data", releases, base)
    htaccess = HTACCESS.read_text(encoding="utf-8")
    assert htaccess.count(TARGET) == 1, "the .htaccess names its target on one line"
    # Apache's children run as nobody when it starts as root: a folder outside pytest's own.
    with live_server(releases=releases) as site, tempfile.TemporaryDirectory() as folder:
        top, run, root = Path(folder), Path(folder) / "run", Path(folder) / "root"
        (root / "psfkg").mkdir(parents=True)
        run.mkdir()
        for made in (top, root, root / "psfkg"):
            made.chmod(0o755)
        run.chmod(0o777)
        (root / "psfkg" / ".htaccess").write_text(
            htaccess.replace(TARGET, f"E=PSFKG_SITE:{site}]"), encoding="utf-8"
        )
        user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
        conf = CONF.format(run=run, port=port, user=user, modules=MODULES, root=root)
        (run / "httpd.conf").write_text(conf, encoding="utf-8")
        process = subprocess.Popen(
            [APACHE, "-f", str(run / "httpd.conf"), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(process, base, run / "error.log")
            yield W3id(base, site + "/")
        finally:
            stop(process)


def _wait(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with requests.get(base, allow_redirects=False, timeout=2) as answer:
                if answer.status_code == 303:
                    return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"apache2 did not start: {log.read_text()[-2000:] if log.exists() else ''}"
            )
        time.sleep(0.1)


def get(url: str, accept: str | None = None, **headers: str) -> requests.Response:
    """GET ``url`` as a client does, following redirects; the answer read and closed."""
    sent = {"Accept": accept, **headers} if accept else headers
    with requests.get(url, headers=sent, timeout=30) as answer:
        answer.content  # noqa: B018 (read whole before the connection closes)
        return answer


#: (path under the base, Accept, the media type that comes back, the IRI the data is about).
FORMS = [
    ("id/project/jatoc", "text/turtle", "text/turtle", "id/project/jatoc"),
    ("id/project/jatoc", BROWSER, "text/html", "id/project/jatoc"),
    ("id/project/jatoc", "application/ld+json", "application/ld+json", "id/project/jatoc"),
    ("id/project/jatoc", "*/*", "text/html", "id/project/jatoc"),
    ("id/project/jatoc.ttl", BROWSER, "text/turtle", "id/project/jatoc"),
    ("id/project/jatoc.jsonld", BROWSER, "application/ld+json", "id/project/jatoc"),
    ("id/project/jatoc.nt", None, "application/n-triples", "id/project/jatoc"),
    ("id/project/jatoc.rdf", None, "application/rdf+xml", "id/project/jatoc"),
    ("id/project/jatoc.html", "text/turtle", "text/html", "id/project/jatoc"),
    (
        "id/organisation/university-of-turku",
        "text/turtle",
        "text/turtle",
        "id/organisation/university-of-turku",
    ),
    ("id/country/sweden", "application/n-triples", "application/n-triples", "id/country/sweden"),
    ("id/priority-areas", "text/turtle", "text/turtle", "id/priority-areas"),
    ("def", "text/turtle", "text/turtle", "def"),
    ("def", BROWSER, "text/html", "def"),
    ("def.rdf", BROWSER, "application/rdf+xml", "def"),
    (f"def/{VERSION}", "text/turtle", "text/turtle", "def"),
    (f"def/{VERSION}", BROWSER, "text/html", "def"),
    (f"def/{VERSION}.jsonld", None, "application/ld+json", "def"),
    ("graph/asserted", "text/turtle", "text/turtle", "graph/asserted"),
    ("graph/ontology", BROWSER, "text/html", "graph/ontology"),
    ("dataset", "text/turtle", "text/turtle", "dataset"),
    ("dataset", BROWSER, "text/html", "dataset"),
    ("dataset.nt", None, "application/n-triples", "dataset"),
    (
        "source/cbss-psf-past-projects",
        "text/turtle",
        "text/turtle",
        "source/cbss-psf-past-projects",
    ),
    ("source/cbss-psf-past-projects", BROWSER, "text/html", "source/cbss-psf-past-projects"),
    ("source/cbss-psf-past-projects", "text/plain", "text/plain", "source/cbss-psf-past-projects"),
    (
        "source/cbss-psf-past-projects.txt",
        BROWSER,
        "text/plain",
        "source/cbss-psf-past-projects.txt",
    ),
    ("catalog", "text/turtle", "text/turtle", "catalog"),
    ("sparql-service", "text/turtle", "text/turtle", "sparql-service"),
    ("", BROWSER, "text/html", ""),
]
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


@pytest.mark.parametrize(("path", "accept", "media_type", "about"), FORMS)
def test_every_iri_form_reaches_its_representation(
    w3id: W3id, path: str, accept: str | None, media_type: str, about: str
) -> None:
    """One 303 to the same path on the site, then the representation the Accept or suffix
    asks for; RDF about the IRI itself."""
    answer = get(w3id.base + path, accept)
    assert [(r.status_code, r.headers["Location"]) for r in answer.history] == [
        (303, w3id.site + path)
    ]
    assert answer.status_code == 200 and answer.url == w3id.site + path
    assert answer.headers["Content-Type"].split(";")[0] == media_type
    if media_type in RDF_TYPES:
        graph = Graph().parse(data=answer.content, format=RDF_TYPES[media_type])
        assert (URIRef(w3id.base + about), None, None) in graph
    elif media_type == "text/html":
        assert "<h1" in answer.text


def test_the_redirect_is_the_same_whatever_the_client_accepts(w3id: W3id) -> None:
    """It passes Accept on (the site negotiates), lets browser scripts follow it, and keeps
    the query string as sent."""
    locations = set()
    for accept in ("text/turtle", BROWSER, "application/ld+json", "*/*"):
        with requests.get(
            w3id.base + "id/project/jatoc?inferred=0&x=%26y%20z",
            headers={"Accept": accept},
            allow_redirects=False,
            timeout=10,
        ) as answer:
            assert answer.status_code == 303
            assert answer.headers["Access-Control-Allow-Origin"] == "*"
            assert "accept" not in answer.headers.get("Vary", "").lower()
            locations.add(answer.headers["Location"])
    assert locations == {w3id.site + "id/project/jatoc?inferred=0&x=%26y%20z"}


def test_query_strings_reach_the_site(w3id: W3id) -> None:
    turtle = get(w3id.base + "id/project/jatoc?format=ttl", BROWSER)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    hidden = get(w3id.base + "id/project/jatoc?inferred=0", BROWSER)
    shown = get(w3id.base + "id/project/jatoc", BROWSER)
    assert hidden.status_code == 200 and "inferred" in shown.text
    assert hidden.text.count("inferred") < shown.text.count("inferred")
    found = get(w3id.base + "search.json?q=univrsity+of+turku")
    assert found.json()["results"][0]["iri"] == w3id.base + "id/organisation/university-of-turku"


def test_a_fragment_stays_with_the_client(w3id: W3id) -> None:
    """``/def#Project`` and a source's ``#line=`` reach the page with the anchor they name."""
    term = get(w3id.base + "def#Project", BROWSER)
    assert term.url == w3id.site + "def#Project" and 'id="Project"' in term.text
    line = get(w3id.base + "source/cbss-psf-past-projects#line=15,16", BROWSER)
    assert line.url.endswith("/source/cbss-psf-past-projects#line=15,16")
    assert 'id="line=15,16"' in line.text


def test_rdflib_loads_the_iris_through_the_redirect(w3id: W3id) -> None:
    project = URIRef(w3id.base + "id/project/jatoc")
    graph = Graph().parse(str(project))
    assert (project, RDF.type, URIRef(w3id.base + "def#Project")) in graph
    ontology = Graph().parse(f"{w3id.base}def/{VERSION}")
    defined = URIRef(w3id.base + "def")
    assert (defined, RDF.type, OWL.Ontology) in ontology
    assert (defined, OWL.versionIRI, URIRef(f"{w3id.base}def/{VERSION}")) in ontology


def test_a_removed_record_answers_gone_through_the_redirect(w3id: W3id) -> None:
    """410 Gone with a link to its last version, which a client can follow."""
    iri = w3id.base + "id/participation/" + REMOVED_PARTNERSHIP
    gone = get(iri, "text/turtle")
    assert [r.status_code for r in gone.history] == [303] and gone.status_code == 410
    links = requests.utils.parse_header_links(gone.headers["Link"])
    last = next(x["url"] for x in links if {"last", "memento"} <= set(x["rel"].split()))
    past = get(last, "text/turtle")
    assert past.status_code == 200 and "Memento-Datetime" in past.headers
    assert (URIRef(iri), None, None) in Graph().parse(data=past.content, format="turtle")
    page = get(iri, BROWSER)
    assert page.status_code == 410 and "its last version" in page.text


def test_mementos_and_misses_pass_through(w3id: W3id) -> None:
    """Accept-Datetime is sent again to the site; an IRI never minted is the site's 404."""
    then = get(
        w3id.base + "id/project/jatoc",
        "text/turtle",
        **{"Accept-Datetime": "Thu, 01 Jan 2015 00:00:00 GMT"},
    )
    assert then.status_code == 200 and "Memento-Datetime" in then.headers
    missing = get(w3id.base + "id/project/no-such-project", BROWSER)
    assert [r.status_code for r in missing.history] == [303] and missing.status_code == 404


def test_other_methods_keep_their_body(w3id: W3id) -> None:
    """A POST (a SPARQL query) is redirected with 307, and sent again whole; HEAD is a GET's."""
    with requests.post(w3id.base + "sparql", data={"query": "ASK {}"}, timeout=10) as answer:
        assert [r.status_code for r in answer.history] == [307]
        assert answer.json() == {"head": {}, "boolean": True}
    with requests.head(
        w3id.base + "id/project/jatoc",
        headers={"Accept": "text/turtle"},
        allow_redirects=True,
        timeout=10,
    ) as head:
        assert [r.status_code for r in head.history] == [303] and head.status_code == 200
        assert head.headers["Content-Type"].startswith("text/turtle")


def test_the_base_without_its_slash_reaches_the_landing_page(w3id: W3id) -> None:
    landing = get(w3id.base.rstrip("/"), BROWSER)
    assert [r.status_code for r in landing.history] == [301, 303]
    assert landing.url == w3id.site and "<h1>" in landing.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("id/project/" + "x" * 4000, 404),  # long, within Apache's request line
        ("id/project/" + "x" * 9000, 414),  # past it: Apache refuses
        ("id/project/jatoc%00", 404),
        ("id/project/%", 400),
        ("id/../../../etc/passwd", 404),
        ("source/%2e%2e/%2e%2e/etc/passwd", 404),
        ("id/project/jatoc%3Fformat=ttl", 403),  # Apache refuses a %3F it would unescape
        ("id/%0d%0aSet-Cookie:%20x=1", 404),  # escaped again in Location: no header made
        ("id/x?a=%0d%0aSet-Cookie:%20x=1", 404),
    ],
)
def test_odd_paths_get_a_clear_refusal(w3id: W3id, path: str, status: int) -> None:
    answer = get(w3id.base + path, "text/turtle")
    assert answer.status_code == status, answer.text[:300]
    assert not any("Set-Cookie" in r.headers for r in (*answer.history, answer))
