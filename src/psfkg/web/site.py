"""What every page of the site shares: links for IRIs, labels, alternates and embedded JSON-LD.

IRIs under the base of the release being served (``https://w3id.org/psfkg/`` by default) are
shown as links to this site, so that every link works wherever the site is served. Other IRIs
link out only when they are http(s): data can never produce a ``javascript:`` link.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, render_template, request
from rdflib import RDFS, SKOS, Graph, URIRef
from rdflib.term import Node
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .. import formats
from ..errors import NotAcceptable
from ..namespaces import compact
from .service import service

#: RDF formats a resource is offered in, by file suffix, after HTML.
RDF_SUFFIXES = {
    "ttl": formats.TURTLE,
    "jsonld": formats.JSON_LD,
    "nt": formats.N_TRIPLES,
    "rdf": formats.RDF_XML,
}
HTML = "text/html"
SAFE_SCHEMES = ("http://", "https://")


def local_path(iri: str) -> str | None:
    """The path on this site of an IRI under the base, else None."""
    base = service().base
    return "/" + iri[len(base) :] if iri.startswith(base) else None


def href(term: Node | str) -> str | None:
    """Where a link to ``term`` should go: this site for our IRIs, the IRI for other http(s)
    IRIs, nothing for anything else."""
    iri = str(term)
    path = local_path(iri)
    if path is not None:
        return path
    return iri if iri.startswith(SAFE_SCHEMES) else None


def curie(iri: str) -> str:
    """A prefixed name for an IRI when a known prefix fits, else the IRI."""
    return compact(iri, service().prefixes)


def label(graph: Graph, term: Node) -> str:
    """A term's best label in a graph: corrected label, label, preferred label, else a CURIE."""
    for predicate in (service().psf.correctedLabel, RDFS.label, SKOS.prefLabel):
        values = sorted(str(v) for v in graph.objects(term, predicate))
        if values:
            return values[0]
    return curie(str(term)) if isinstance(term, URIRef) else str(term)


def wants(offers: Iterable[str]) -> str:
    """The media type the client prefers among ``offers`` (HTML first for browsers)."""
    choices = list(offers)
    accept = request.headers.get("Accept")
    if not accept:
        return choices[0]
    best = parse_accept_header(accept, MIMEAccept).best_match(choices)
    if best is None:
        raise NotAcceptable("none of the media types in Accept is offered", choices)
    return best


def json_ld_script(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">``: ``<`` escaped so data cannot close it."""
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def alternates(path: str) -> list[tuple[str, str, str]]:
    """(href, media type, name) of each RDF representation of the resource at ``path``."""
    names = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdf": "RDF/XML"}
    return [(f"{path}.{s}", f.media_type, names[s]) for s, f in RDF_SUFFIXES.items()]


def link_header(path: str, canonical: str | None = None) -> str:
    """A ``Link`` header naming every alternate representation (and the canonical IRI)."""
    links = [f'<{path}.html>; rel="alternate"; type="text/html"']
    links += [f'<{href_}>; rel="alternate"; type="{media}"' for href_, media, _ in alternates(path)]
    if canonical:
        links.append(f'<{canonical}>; rel="canonical"')
    return ", ".join(links)


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render an HTML page."""
    html = render_template(template, **context)
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def install(app: Flask) -> None:
    """Make the helpers available in templates."""
    app.jinja_env.globals.update(href=href, curie=curie, json_ld_script=json_ld_script)
    app.jinja_env.autoescape = True
