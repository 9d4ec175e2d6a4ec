"""What the query page's editor works with: YASGUI's settings, the ontology's terms, and named
queries opened with their parameters.

The editor is YASGUI (``static/vendor/yasgui``, vendored by ``scripts/vendor-assets``), set up by
``static/query.js`` from :func:`settings`, embedded in the page as JSON: this site's endpoint,
psfkg's prefixes (so no completion asks prefix.cc), where the ontology's classes and properties
are (``/query/terms.json``, for completion; never LOV) and where resources are searched by label
(``/search.json``). A named query opens in the editor with its parameters as inline data
(``VALUES``), so the query run there answers what its page answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..errors import QueryRejected
from ..named_queries import NamedQuery
from ..namespaces import known_prefixes
from ..query.remote import with_values
from ..query.store import QueryRequest
from ..terms import Binding
from .asking import select
from .meta import SECURITY
from .service import service
from .site import curie, url

bp = Blueprint("editor", __name__)
#: The query page's Content-Security-Policy: the site's own (:data:`psfkg.web.meta.SECURITY`)
#: plus inline styles, which YASGUI's results table (DataTables) writes as ``style`` attributes
#: and without which it lays out wrongly. Found by running YASGUI under the site's policy in
#: Chromium: it needs nothing else (no ``unsafe-eval``, no inline script, no other origin).
EDITOR_POLICY = SECURITY["Content-Security-Policy"].replace(
    "default-src 'self';", "default-src 'self'; style-src 'self' 'unsafe-inline';"
)

#: The ontology's classes and properties with their labels; ``?ontology`` is its graph.
TERMS = """
SELECT ?ontology ?term ?kind (SAMPLE(?label) AS ?name) WHERE {
  GRAPH ?ontology {
    VALUES (?type ?kind) {
      (owl:Class "class") (rdfs:Class "class")
      (owl:ObjectProperty "property") (owl:DatatypeProperty "property") (rdf:Property "property")
    }
    ?term a ?type .
    FILTER(isIRI(?term))
    OPTIONAL { ?term rdfs:label ?label FILTER(LANG(?label) IN ("en", "")) }
  }
}
GROUP BY ?ontology ?term ?kind ORDER BY ?kind ?term
"""
RDF_PREFIX = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"


def terms() -> dict[str, list[dict[str, str]]]:
    """The ontology's classes and properties: IRI, prefixed name and label of each."""
    ontology = Binding("iri", service().base + "graph/ontology")
    _, rows = select(RDF_PREFIX + TERMS, (("ontology", ontology),), own=True, cache="editor-terms")
    found: dict[str, list[dict[str, str]]] = {"classes": [], "properties": []}
    for row in rows:
        iri = row["term"].text
        name = row["name"].text if "name" in row else curie(iri)
        kind = "classes" if row["kind"].text == "class" else "properties"
        found[kind].append({"iri": iri, "curie": curie(iri), "label": name})
    return found


@bp.route("/query/terms.json")
def terms_json() -> ResponseReturnValue:
    """The ontology's classes and properties, for the editor's completion."""
    return jsonify(terms())


def opened(query: NamedQuery, values: Mapping[str, str]) -> str:
    """A named query's text with its parameters (``values``, else their defaults) as inline
    data, as the editor gets it.

    :raises QueryRejected: for a value that does not fit its parameter.
    """
    bindings = query.bind(values)
    try:
        return with_values(QueryRequest(query.text, "", bindings=bindings))
    except QueryRejected:
        return query.text  # no WHERE group to take inline data: the text as written


@bp.app_template_global()
def editor_url(query: NamedQuery, values: Mapping[str, str] | None = None) -> str:
    """The query page with a named query, parameters kept (see :func:`opened`)."""
    return url("/query?" + urlencode({"query": opened(query, values or {})}))


def settings(examples: list[NamedQuery]) -> dict[str, Any]:
    """What ``query.js`` sets YASGUI up with: every URL under this site's path prefix."""
    return {
        "endpoint": url("/sparql"),
        "terms": url("/query/terms.json"),
        "search": url("/search.json"),
        "prefixes": known_prefixes(service().base),
        "examples": [{"name": q.name, "title": q.title, "query": opened(q, {})} for q in examples],
    }
