"""Named queries at stable URLs, and the query page.

``/queries`` lists the named queries; ``/queries/<name>`` runs one with its parameters as HTML,
``/queries/<name>.csv`` and ``.json`` (SPARQL JSON results) as data, in the manner of Datasette's
canned queries: ``/queries/projects-with-partner-from-country.csv?country=FI``. Parameter values are
bound as RDF terms, never pasted into the query; a parameter with choices offers them and reads a
code, slug or label in any case (see :mod:`psfkg.web.choices`).

``/query`` is the SPARQL editor (YASGUI: see :mod:`psfkg.web.editor`), preloaded with the named
queries. Under it stays a form that uses GET, so a result page has a URL to share and the page
works without JavaScript.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from .. import formats
from ..errors import QueryRejected
from ..named_queries import NamedQuery
from . import description
from .asking import TRIPLE, Solution, evaluate, prepare, select, solutions, triples
from .choices import understood
from .editor import EDITOR_POLICY, opened, settings
from .listing import unplaced
from .service import service
from .site import link_alternates, page, url

bp = Blueprint("queries", __name__)
#: Named queries that leave some items out, and what says which (from the data).
LEFT_OUT = {"projects-per-priority-area-and-year": unplaced}
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
    values, offered, unknown = understood(query, request.args)
    if suffix:
        fmt = DATA_SUFFIXES.get(suffix)
        if fmt is None:
            abort(404, f"no format {suffix!r}: use .csv, .tsv or .json")
        answer = evaluate(prepare(query.text, fmt.media_type, bindings=query.bind(values))[1])
        response = Response(answer.body, content_type=fmt.content_type)
        response.headers["Content-Disposition"] = f"inline; filename={stem}.{suffix}"
        response.headers["X-PSFKG-Rows"] = str(answer.rows)
        return response
    # A value not among the release's choices is answered with those choices, not evaluated.
    variables, rows = select(query.text, query.bind(values)) if not unknown else ([], [])
    args = urlencode(values)
    return page(
        "named_query.html",
        status=400 if unknown else 200,
        title=query.title,
        query=query,
        variables=variables,
        rows=rows,
        values=values,
        # What was typed, cut short: it is shown back only to say it is not in the release.
        given={p.name: request.args.get(p.name, "")[:100] for p in query.params},
        offered=offered,
        unknown=unknown,
        left_out=LEFT_OUT[stem]() if stem in LEFT_OUT else [],
        args=args,
        alternates=[
            (url(f"/queries/{stem}.{s}?{args}"), f.media_type, s.upper())
            for s, f in DATA_SUFFIXES.items()
            if not unknown
        ],
    )


@bp.route("/query")
def editor() -> ResponseReturnValue:
    """The SPARQL query page; with ``?query=`` it also shows the results."""
    return query_page(request.args.get("query", ""))


def query_page(
    text: str, *, default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = ()
) -> Response:
    """The query page with ``text`` in the editor and, when there is a query, its results: rows,
    a yes or no, or the triples of a CONSTRUCT or DESCRIBE; linking each format they come in.
    A query refused is shown with its reason, under the status the endpoint gives it (400...).
    ``/query`` and a browser at ``/sparql`` are answered with it."""
    examples = list(named_queries().values())
    variables: list[str] = []
    rows: list[Solution] = []
    error = boolean = None
    status = 200
    links: list[tuple[str, str, str]] = []
    graph = False
    if not text.strip():
        links = [
            (url(f"/sparql?format={f.name}"), f.media_type, f"service description ({f.label})")
            for f in description.OFFERS
        ]
    else:
        try:
            endpoint = request.url_root + "sparql"
            screened, query = prepare(
                text,
                formats.JSON_RESULTS.media_type,
                base_iri=endpoint,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
            )
            form = screened.form
            links = [
                (
                    url(f"/sparql?{urlencode({'query': text, 'format': f.name})}"),
                    f.media_type,
                    f.label,
                )
                for f in formats.for_form(form)
            ]
            if form in formats.GRAPHS:
                graph = True
                variables = list(TRIPLE)
                rows = triples(evaluate(replace(query, media_type=formats.N_TRIPLES.media_type)))
            elif form == "ASK":
                boolean = bool(json.loads(evaluate(query).body)["boolean"])
            else:
                variables, rows = solutions(evaluate(query))
        except QueryRejected as exc:
            error, status = str(exc), exc.status
    response = page(
        "query.html",
        status=status,
        title="SPARQL query",
        text=text
        or (opened(examples[0], {}) if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"),
        examples=examples,
        editor_settings=settings(examples),
        variables=variables,
        rows=rows,
        error=error,
        ran=bool(text.strip()),
        graph=graph,
        boolean=boolean,
        links=links,
        alternates=links,
    )
    response.headers["Link"] = link_alternates(links)
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response
