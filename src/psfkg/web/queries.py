"""Named queries at stable URLs, and the query page.

``/queries`` lists the named queries; ``/queries/<name>`` runs one with its parameters as HTML,
``/queries/<name>.csv`` and ``.json`` (SPARQL JSON results) as data, in the manner of Datasette's
canned queries: ``/queries/projects-with-partner-from-country.csv?country=FI``. Parameter values are
bound as RDF terms, never pasted into the query.

``/query`` is the SPARQL editor (YASGUI: see :mod:`psfkg.web.editor`), preloaded with the named
queries. Under it stays a form that uses GET, so a result page has a URL to share and the page
works without JavaScript.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from .. import formats
from ..errors import QueryRejected
from ..named_queries import NamedQuery
from .asking import Solution, evaluate, prepare, select, solutions
from .editor import EDITOR_POLICY, opened, settings
from .service import service
from .site import page, url

bp = Blueprint("queries", __name__)
DATA_SUFFIXES = {f.name: f for f in (formats.CSV, formats.JSON_RESULTS, formats.TSV)}


def named_queries() -> dict[str, NamedQuery]:
    """The named queries of the release being served."""
    return service().queries


def named(name: str) -> NamedQuery:
    """A named query by name, or 404."""
    queries = named_queries()
    if name not in queries:
        abort(404, f"no named query {name!r}: see /queries")
    return queries[name]


@bp.route("/queries")
def index() -> ResponseReturnValue:
    """Every named query, with what it answers and its parameters."""
    return page("queries.html", title="Named queries", queries=list(named_queries().values()))


@bp.route("/queries/<name>")
def run(name: str) -> ResponseReturnValue:
    """Run a named query: HTML by default, CSV, TSV or JSON by suffix."""
    stem, _, suffix = name.partition(".")
    query = named(stem)
    bindings = query.bind(request.args)
    if suffix:
        fmt = DATA_SUFFIXES.get(suffix)
        if fmt is None:
            abort(404, f"no format {suffix!r}: use .csv, .tsv or .json")
        answer = evaluate(prepare(query.text, fmt.media_type, bindings=bindings)[1])
        response = Response(answer.body, content_type=fmt.content_type)
        response.headers["Content-Disposition"] = f"inline; filename={stem}.{suffix}"
        response.headers["X-PSFKG-Rows"] = str(answer.rows)
        return response
    variables, rows = select(query.text, bindings)
    values = {p.name: request.args.get(p.name) or p.default for p in query.params}
    args = urlencode(values)
    return page(
        "named_query.html",
        title=query.title,
        query=query,
        variables=variables,
        rows=rows,
        values=values,
        args=args,
        alternates=[
            (url(f"/queries/{stem}.{s}?{args}"), f.media_type, s.upper())
            for s, f in DATA_SUFFIXES.items()
        ],
    )


@bp.route("/query")
def editor() -> ResponseReturnValue:
    """The SPARQL query page; with ``?query=`` it also shows the results."""
    text = request.args.get("query", "")
    examples = list(named_queries().values())
    variables: list[str] = []
    rows: list[Solution] = []
    error = graph_result = boolean = None
    if text.strip():
        try:
            endpoint = request.url_root + "sparql"
            screened, query = prepare(text, formats.JSON_RESULTS.media_type, base_iri=endpoint)
            form = screened.form
            if form in ("CONSTRUCT", "DESCRIBE"):
                graph_result = url(f"/sparql?{urlencode({'query': text, 'format': 'ttl'})}")
            elif form == "ASK":
                boolean = bool(json.loads(evaluate(query).body)["boolean"])
            else:
                variables, rows = solutions(evaluate(query))
        except QueryRejected as exc:
            error = str(exc)
    response = page(
        "query.html",
        title="SPARQL query",
        text=text
        or (opened(examples[0], {}) if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"),
        examples=examples,
        editor_settings=settings(examples),
        variables=variables,
        rows=rows,
        error=error,
        ran=bool(text.strip()),
        graph_result=graph_result,
        boolean=boolean,
        links={s: url(f"/sparql?{urlencode({'query': text, 'format': s})}") for s in DATA_SUFFIXES},
    )
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response
