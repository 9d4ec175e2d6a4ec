"""The query page's editor (:mod:`psfkg.web.editor`): its settings, the ontology's terms for
completion, named queries opened with their parameters, its policy, and syntax errors as read."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from flask import Flask
from flask.testing import FlaskClient

from psfkg.web.editor import opened
from psfkg.web.queries import named_queries

from ..conftest import client_for

COUNTRY_QUERY = "/queries/projects-with-partner-from-country"


def editor_settings(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="editor-settings">(.*?)</script>', html)
    assert found, "the page embeds no editor settings"
    settings: dict = json.loads(found.group(1))  # type: ignore[type-arg]
    return settings


def test_the_terms_are_the_ontologys_classes_and_properties(client: FlaskClient, base: str) -> None:
    response = client.get("/query/terms.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    terms = response.get_json()
    classes = {t["curie"]: t for t in terms["classes"]}
    properties = {t["curie"]: t for t in terms["properties"]}
    assert classes["psf:Project"] == {
        "iri": f"{base}def#Project",
        "curie": "psf:Project",
        "label": "project",
    }
    assert "psf:participant" in properties and "psf:Project" not in properties
    assert len(classes) >= 10 and len(properties) >= 30
    assert all(t["label"] for t in terms["classes"] + terms["properties"])


def test_the_page_sets_the_editor_up_for_this_site(client: FlaskClient, base: str) -> None:
    html = client.get("/query").data.decode()
    settings = editor_settings(html)
    assert settings["endpoint"] == "/sparql"
    assert settings["terms"] == "/query/terms.json" and settings["search"] == "/search.json"
    assert settings["prefixes"]["psf"] == f"{base}def#"
    assert settings["prefixes"]["rdf"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    assert {e["name"] for e in settings["examples"]} >= {"top-organisations"}
    assert "/static/vendor/yasgui/yasgui.min.js" in html and "cdn" not in html.lower()
    assert '<form method="get"' in html  # the fallback without JavaScript


def test_the_chart_view_loads_between_yasgui_and_its_setup(client: FlaskClient) -> None:
    html = client.get("/query").data.decode()
    scripts = ["vendor/yasgui/yasgui.min.js", "query-chart.js", "query.js"]
    at = [html.index(f'/static/{s}"') for s in scripts]
    assert at == sorted(at)  # the plugin registers itself before query.js builds YASGUI
    with client.get("/static/query-chart.js") as chart:
        assert chart.status_code == 200
        code = chart.data.decode()
    assert "registerPlugin" in code and "innerHTML" not in code and "eval(" not in code


def test_under_a_path_prefix_the_editor_asks_there(releases: Path) -> None:
    client = client_for(releases, {"PSFKG_PUBLIC_URL": "https://data.example.org/psf/"})
    settings = editor_settings(client.get("/query").data.decode())
    assert settings["endpoint"] == "/psf/sparql" and settings["terms"] == "/psf/query/terms.json"


def test_an_example_keeps_its_parameter_default(client: FlaskClient) -> None:
    settings = editor_settings(client.get("/query").data.decode())
    example = next(
        e for e in settings["examples"] if e["name"] == "projects-with-partner-from-country"
    )
    assert 'VALUES (?country) { ("SE") }' in example["query"]


def test_a_named_query_opens_in_the_editor_with_its_parameter(client: FlaskClient) -> None:
    named = client.get(f"{COUNTRY_QUERY}?country=FI").data.decode()
    link = unescape(re.search(r'<a href="([^"]+)">Open in the editor</a>', named).group(1))  # type: ignore[union-attr]
    text = parse_qs(urlparse(link).query)["query"][0]
    assert 'VALUES (?country) { ("FI") }' in text
    rows = re.findall(r"<tr><td>(\w\w)</td>", client.get(link).data.decode())
    assert rows and set(rows) == {"FI"} and len(rows) == named.count("<tr>") - 1
    unbound = text.replace('VALUES (?country) { ("FI") }', "")
    everywhere = client.get("/query?" + urlencode({"query": unbound})).data.decode()
    assert len(set(re.findall(r"<tr><td>(\w\w)</td>", everywhere))) > 1


def test_a_parameter_value_is_written_as_a_literal_never_pasted(
    app: Flask, client: FlaskClient
) -> None:
    hostile = 'SE"}} DROP ALL'
    # The page refuses a value the release does not have before any query is built...
    assert client.get(COUNTRY_QUERY, query_string={"country": hostile}).status_code == 400
    # ...and the editor's text binds whatever it is given as a literal, never as SPARQL.
    with app.test_request_context("/"):
        text = opened(named_queries()["projects-with-partner-from-country"], {"country": hostile})
    assert 'VALUES (?country) { ("SE\\"}} DROP ALL") }' in text


def test_only_the_query_page_allows_inline_styles(client: FlaskClient) -> None:
    editor = client.get("/query").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in editor
    assert "unsafe-eval" not in editor and "script-src" not in editor
    assert "default-src 'self'" in editor and "frame-ancestors 'none'" in editor
    for path in ("/", "/queries", "/query/terms.json"):
        assert "unsafe-inline" not in client.get(path).headers["Content-Security-Policy"], path


def test_the_endpoint_says_how_to_fix_a_syntax_error(client: FlaskClient, base: str) -> None:
    response = client.post(
        "/sparql",
        data="SELECT * WHERE { ?s a psf:Project }",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 400
    assert response.data.decode().split("\n")[:3] == [
        "Error 400: syntax error at line 1, column 23: unknown prefix `psf:`; "
        f"add `PREFIX psf: <{base}def#>`",
        "  SELECT * WHERE { ?s a psf:Project }",
        "                        ^",
    ]


def test_the_page_without_javascript_shows_the_fix_too(client: FlaskClient) -> None:
    html = client.get("/query?" + urlencode({"query": "SELECT * {\n  ?s ?p ?o "})).data.decode()
    shown = re.search(r'<pre class="error">(.*?)</pre>', html, re.S).group(1)  # type: ignore[union-attr]
    assert unescape(shown) == (
        "syntax error at line 2, column 11: `{` opened at line 1, column 10 is never closed: "
        "add `}`\n    ?s ?p ?o \n            ^"
    )
