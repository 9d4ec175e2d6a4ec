"""Every minted IRI answers GET: HTML for browsers, RDF by Accept or by suffix (Cool URIs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ..conftest import client_for

MINTED = [
    "/id/project/jatoc",
    "/id/organisation/lund-university",
    "/id/country/sweden",
    "/id/participation/jatoc--finnish-border-guard",
    "/id/priority-area/safe-and-secure-region",
    "/id/priority-areas",
    "/id/funding-period/psf-2016",
    "/id/programme/psf",
    "/id/event/baltinnosec-kick-off-meeting",
    "/def",
    "/graph/asserted",
    "/graph/inferred",
    "/dataset",
    "/source/cbss-psf-past-projects",
]


@pytest.mark.parametrize("path", MINTED)
def test_html_for_browsers(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Location"] == f"{path}.html"
    assert f'<{path}.ttl>; rel="alternate"; type="text/turtle"' in response.headers["Link"]
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("accept", "suffix", "rdflib_format"),
    [
        ("text/turtle", "ttl", "turtle"),
        ("application/ld+json", "jsonld", "json-ld"),
        ("application/n-triples", "nt", "nt"),
        ("application/rdf+xml", "rdf", "xml"),
    ],
)
@pytest.mark.parametrize("path", ["/id/project/jatoc", "/id/country/sweden", "/def"])
def test_rdf_by_accept_and_by_suffix(
    client: FlaskClient, path: str, accept: str, suffix: str, rdflib_format: str
) -> None:
    by_accept = client.get(path, headers={"Accept": accept})
    by_suffix = client.get(f"{path}.{suffix}")
    assert by_accept.status_code == by_suffix.status_code == 200
    assert by_accept.mimetype == by_suffix.mimetype == accept
    assert by_accept.headers["Content-Location"] == f"{path}.{suffix}"
    graph = Graph().parse(data=by_accept.data, format=rdflib_format)
    assert len(graph) > 10


def test_resource_data_has_own_triples_labels_and_incoming_links(
    client: FlaskClient, base: str
) -> None:
    graph = Graph().parse(data=client.get("/id/organisation/university-of-turku.ttl").data)
    ID = base + "id/"
    org = URIRef(ID + "organisation/university-of-turku")
    psf = base + "def#"
    assert (org, URIRef(psf + "country"), URIRef(ID + "country/finland")) in graph
    assert (
        URIRef(ID + "country/finland"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        None,
    ) in graph
    participations = set(graph.subjects(URIRef(psf + "participant"), org))
    assert len(participations) == 2
    projects = set(graph.objects(org, URIRef(psf + "involvedIn")))
    assert projects == {
        URIRef(ID + "project/the-future-of-the-eurofaculty"),
        URIRef(ID + "project/baltic-sea-ports"),
    }


def test_a_country_page_lists_its_organisations_and_projects(client: FlaskClient) -> None:
    html = client.get("/id/country/iceland").data.decode()
    assert 'href="/id/organisation/icelandic-coast-guard"' in html
    assert 'href="/id/project/balance"' in html


def test_project_page_shows_partners_countries_roles_and_source(
    client: FlaskClient, base: str
) -> None:
    html = client.get("/id/project/balance").data.decode()
    row = r'The Finnish Border Guard</a></td><td><a href="/id/country/finland">Finland</a></td>'
    assert re.search(row + "<td>lead partner", html)
    assert 'href="/source/cbss-psf-past-projects#line=414,415"' in html
    assert f"DESCRIBE &lt;{base}id/project/balance&gt;" in html
    assert "curl -H &#39;Accept: text/turtle&#39;" in html


def test_schema_org_json_ld_is_embedded_and_cannot_be_closed_by_data(client: FlaskClient) -> None:
    html = client.get("/id/project/jatoc").data.decode()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script is not None
    data = json.loads(script.group(1))
    assert data["@type"] == "Project" and data["name"] == "JATOC" and len(data["member"]) == 8
    assert "</" not in script.group(1)


def test_unknown_iri_gets_a_helpful_404(client: FlaskClient, base: str) -> None:
    for accept in ("text/html", "text/turtle"):
        response = client.get("/id/project/no-such-thing", headers={"Accept": accept})
        assert response.status_code == 404
    html = client.get("/id/project/no-such-thing").data.decode()
    assert "/browse/projects" in html and f"{base}id/project/no-such-thing" in html


def test_links_stay_on_this_site_whatever_the_host(releases: Path, base: str) -> None:
    client = client_for(releases, {"PSFKG_ALLOWED_HOSTS": "psfkg.example"})
    html = client.get("/id/project/jatoc", base_url="http://psfkg.example:9000").data.decode()
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert not [h for h in hrefs if h.startswith(base)]
    assert "/id/country/latvia" in hrefs


def test_ontology_has_an_anchor_per_term(client: FlaskClient) -> None:
    html = client.get("/def").data.decode()
    for term in ("Project", "Organisation", "Participation", "involvesCountry", "Coordinator"):
        assert f'id="{term}"' in html


def test_source_lines_have_rfc5147_anchors(client: FlaskClient) -> None:
    html = client.get("/source/cbss-psf-past-projects").data.decode()
    assert '<li id="line=15,16">2013 NGOs in the BSR</li>' in html
    text = client.get("/source/cbss-psf-past-projects.txt")
    assert text.mimetype == "text/plain" and text.data.startswith(b"cbss.org")


def test_conditional_get(client: FlaskClient) -> None:
    first = client.get("/id/project/jatoc.ttl")
    assert (
        client.get(
            "/id/project/jatoc.ttl", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )


def test_a_machine_can_follow_every_iri_with_accept_headers(
    client: FlaskClient, base: str, release_dir: Path
) -> None:
    """Start at the catalogue and follow every IRI under the base as an RDF client would: a
    release's IRI too (its home), whose files' URLs are the site's, not IRIs under the base."""
    queue, seen, failed = ["catalog", "dataset", "id/priority-areas"], set(), []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        with client.get("/" + path, headers={"Accept": "text/turtle"}) as response:
            if response.status_code != 200 or response.mimetype != "text/turtle":
                failed.append(f"{response.status_code} /{path}")
                continue
            data = response.data
        for term in Graph().parse(data=data, format="turtle").all_nodes():
            iri = str(term).split("#", 1)[0]
            if isinstance(term, URIRef) and iri.startswith(base) and iri[len(base) :] not in seen:
                queue.append(iri[len(base) :])
    assert failed == []
    assert {"def", "graph/inferred", "sparql-service", "dataset/distribution/psfkg.nq.gz"} <= seen
    assert f"releases/{release_dir.name}/" in seen
    assert len([p for p in seen if p.startswith("id/participation/")]) == 180


def test_the_ontology_page_is_one_body_and_shows_no_blank_node_ids(client: FlaskClient) -> None:
    pages = {client.get("/def").data for _ in range(4)}
    assert len(pages) == 1
    html = pages.pop().decode()
    assert not re.search(r"\bN[0-9a-f]{32}\b", html)
    assert "(has participation participant)" in html  # a property chain, in order


@pytest.mark.parametrize(
    "path",
    [
        "/id/project/jatoc",
        "/id/country/sweden",
        "/dataset",
        "/graph/inferred",
        "/def",
        "/source/cbss-psf-past-projects",
    ],
)
def test_turtle_has_prefixes_one_block_for_the_resource_and_the_same_triples(
    client: FlaskClient, base: str, path: str
) -> None:
    body = client.get(path, headers={"Accept": "text/turtle"}).data.decode()
    assert body.startswith("@prefix ")
    assert f"@prefix psf: <{base}def#> ." in body or not path.startswith("/id/")
    declared = dict(re.findall(r"^@prefix (\w*): <([^>]*)> \.$", body, re.M))

    def expanded(token: str) -> str:
        prefix, _, local = token.partition(":")
        if token.startswith("<"):
            return token.strip("<>")
        return token if prefix == "_" else declared[prefix] + local

    statements = [line for line in body.splitlines() if not line.startswith(("@prefix ", "\t"))]
    subjects = [expanded(line.split(" ", 1)[0]) for line in statements]
    assert subjects[0] == f"{base}{path[1:]}"  # the resource's block comes first, and once
    assert subjects.count(subjects[0]) == 1
    turtle = Graph().parse(data=body, format="turtle")
    n_triples = Graph().parse(data=client.get(f"{path}.nt").data, format="nt")
    assert isomorphic(turtle, n_triples)


def _visible(html: str) -> str:
    """The page without its embedded JSON-LD (which repeats facts for search engines)."""
    return re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)


def _rows(html: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert table is not None
    return re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)


def test_a_project_page_shows_each_partner_and_its_description_once(client: FlaskClient) -> None:
    html = _visible(client.get("/id/project/jatoc").data.decode())
    partners = re.findall(r'href="(/id/organisation/[^"]+)"', html)
    assert len(partners) == 8 and len(set(partners)) == 8
    assert html.count("Joint Approach to Tackle Organised Cross-border Crime") == 1
    assert not re.findall(r'href="/id/participation/', html)  # the table is the participations
    for repeated in ("has participation", "involves organisation", "involved in", "Linked from"):
        assert repeated not in html
    assert "cbss-psf-past-projects, line 521" in html  # the source, once, in its section
    assert html.count("cbss-psf-past-projects#line=520,521") == 1


def test_an_organisation_page_shows_its_projects_once(client: FlaskClient) -> None:
    html = _visible(client.get("/id/organisation/university-of-turku").data.decode())
    projects = re.findall(r'href="(/id/project/[^"]+)"', html)
    assert sorted(projects) == [
        "/id/project/baltic-sea-ports",
        "/id/project/the-future-of-the-eurofaculty",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/id/project/jatoc",
        "/id/country/sweden",
        "/id/organisation/lund-university",
        "/id/participation/jatoc--finnish-border-guard",
        "/id/priority-area/safe-and-secure-region",
        "/id/priority-areas",
        "/id/event/baltinnosec-kick-off-meeting",
        "/dataset",
        "/graph/inferred",
        "/dataset/distribution/psfkg.nq.gz",
        "/sparql-service",
        "/publisher",
    ],
)
def test_properties_are_named_by_their_labels_not_curies(client: FlaskClient, path: str) -> None:
    html = client.get(path).data.decode()
    names = re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a>', html)
    names += re.findall(r'</small>\)?</th><td><a href="[^"]*">([^<]*)</a>', html)
    assert names
    assert [n for n in names if re.fullmatch(r"[\w-]+:\S+", n) or n.startswith("http")] == []


def test_every_property_of_the_release_its_catalogue_and_void_has_a_label(
    client: FlaskClient,
) -> None:
    from psfkg.web.vocabularies import LABELS

    def select(query: str) -> list[dict[str, dict[str, str]]]:
        response = client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
        )
        rows: list[dict[str, dict[str, str]]] = response.get_json()["results"]["bindings"]
        return rows

    used = {r["p"]["value"] for r in select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
    labelled = {
        r["p"]["value"]
        for r in select(
            "SELECT DISTINCT ?p WHERE { GRAPH ?g { ?p <http://www.w3.org/2000/01/rdf-schema#label> ?l } }"  # noqa: E501
        )
    }
    for described in ("/catalog", "/.well-known/void"):
        turtle = client.get(described, headers={"Accept": "text/turtle"}).data
        used |= {str(p) for p in Graph().parse(data=turtle, format="turtle").predicates()}
    assert sorted(used - labelled - set(LABELS)) == []


def test_inferred_statements_are_marked_and_can_be_hidden(client: FlaskClient) -> None:
    html = client.get("/id/project/jatoc").data.decode()
    row = next(r for r in _rows(html, "props") if "/def#involvesCountry" in r)
    assert 'class="inferred"' in row
    start = next(r for r in _rows(html, "props") if "/def#startYear" in r)
    assert 'class="inferred"' not in start  # stated in the source
    assert 'href="/id/project/jatoc?inferred=0"' in html
    hidden = client.get("/id/project/jatoc?inferred=0")
    assert hidden.status_code == 200
    page = hidden.data.decode()
    assert "/def#involvesCountry" not in page and "/def#startYear" in page
    assert "Inferred statements are hidden" in page and 'href="/id/project/jatoc"' in page
    assert len(re.findall(r'href="/id/organisation/', _visible(page))) == 8  # the table stays
    sweden = client.get("/id/country/sweden?inferred=0").data.decode()
    assert "/def#involvesCountry" not in sweden and "/id/organisation/lund-university" in sweden


def test_hiding_inferred_statements_is_for_the_page_only(client: FlaskClient) -> None:
    assert client.get("/id/project/jatoc.ttl?inferred=1").status_code == 200
    response = client.get("/id/project/jatoc?inferred=0", headers={"Accept": "text/turtle"})
    assert response.status_code == 400 and b"query the graph asserted" in response.data


@pytest.mark.parametrize("value", ["yes", "", "0" * 500, "<b>"])
def test_a_bad_inferred_value_is_a_clear_400(client: FlaskClient, value: str) -> None:
    response = client.get("/id/project/jatoc", query_string={"inferred": value})
    assert response.status_code == 400
    assert b"inferred= takes 0" in response.data
    assert response.mimetype == "text/plain" or b"<b>" not in response.data


def test_a_country_lists_its_organisations_apart_from_its_events(client: FlaskClient) -> None:
    html = client.get("/id/country/sweden").data.decode()
    rows = _rows(html, "props linked-from")
    organisations = next(r for r in rows if 'href="/def#Organisation"' in r)
    events = next(r for r in rows if 'href="/def#Event"' in r)
    assert "/id/organisation/lund-university" in organisations
    assert "/id/event/" not in organisations
    assert "/id/event/baltinnosec-kick-off-meeting" in events
    assert "/id/organisation/" not in events
