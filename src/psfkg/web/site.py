"""What every page of the site shares: links for IRIs, labels, alternates and embedded JSON-LD.

IRIs under the base of the release being served (``https://w3id.org/psfkg/`` by default) are
shown as links to this site, so that every link works wherever the site is served. Other IRIs
link out only when they are http(s): data can never produce a ``javascript:`` link.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Flask, Response, render_template, request
from rdflib import DCTERMS, RDFS, SKOS, Graph, URIRef
from rdflib.term import Node

from .. import formats
from ..formats import Format
from ..namespaces import compact
from .service import service

#: The RDF formats a resource is offered in, after HTML.
RDF = (formats.TURTLE, formats.JSON_LD, formats.N_TRIPLES, formats.RDF_XML)
#: What a resource is offered in: HTML first, for browsers.
RESOURCE = (formats.HTML, *RDF)
SAFE_SCHEMES = ("http://", "https://")


def local_path(iri: str) -> str | None:
    """The path on this site of an IRI under the base, else None."""
    base = service().base
    return "/" + iri[len(base) :] if iri.startswith(base) else None


def url(path: str) -> str:
    """The link to ``path`` (``/id/project/jatoc``) on this site, under the path prefix the site
    is served at (``SCRIPT_NAME``: a proxy's ``X-Forwarded-Prefix``, or ``PSFKG_PUBLIC_URL``)."""
    return request.script_root + path


def href(term: Node | str) -> str | None:
    """Where a link to ``term`` should go: this site for our IRIs, the IRI for other http(s)
    IRIs, nothing for anything else."""
    iri = str(term)
    path = local_path(iri)
    if path is not None:
        return url(path)
    return iri if iri.startswith(SAFE_SCHEMES) else None


def curie(iri: str) -> str:
    """A prefixed name for an IRI when a known prefix fits, else the IRI."""
    return compact(iri, service().prefixes)


def label(graph: Graph, term: Node) -> str:
    """A term's best label in a graph: corrected label, label, preferred label, title, else a
    CURIE."""
    for predicate in (service().psf.correctedLabel, RDFS.label, SKOS.prefLabel, DCTERMS.title):
        values = sorted(str(v) for v in graph.objects(term, predicate))
        if values:
            return values[0]
    return curie(str(term)) if isinstance(term, URIRef) else str(term)


def wants(offers: tuple[Format, ...]) -> Format:
    """The format of ``offers`` the request asks for, by ``format=`` or ``Accept`` (see
    :func:`psfkg.formats.negotiate`); the first when it says nothing.

    :raises NotAcceptable: when it accepts none of them.
    """
    return formats.negotiate(offers, request.headers.get("Accept"), request.args.get("format"))


def json_ld_script(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">``: ``<`` escaped so data cannot close it."""
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def alternates(path: str) -> list[tuple[str, str, str]]:
    """(href, media type, name) of each RDF representation of the resource at ``path``."""
    return [(url(f"{path}.{f.suffix}"), f.media_type, f.label) for f in RDF]


def link_header(
    path: str, canonical: str | None = None, *, offers: tuple[Format, ...] = RESOURCE
) -> str:
    """A ``Link`` header naming every representation of the resource at ``path`` in ``offers``
    (and its canonical IRI)."""
    links = link_alternates([(f"{url(path)}.{f.suffix}", f.media_type, f.label) for f in offers])
    return f'{links}, <{canonical}>; rel="canonical"' if canonical else links


def link_alternates(found: list[tuple[str, str, str]]) -> str:
    """A ``Link`` header naming alternates given as (href, media type, name), as a page's
    ``alternates`` are; an href's ``<`` and ``>`` escaped, so data cannot end it."""
    return ", ".join(
        f'<{h.replace("<", "%3C").replace(">", "%3E")}>; rel="alternate"; type="{t}"'
        for h, t, _ in found
    )


def tagged(response: Response) -> Response:
    """A response whose body is complete, with a strong ETag that is a hash of that body (each
    body one ETag, each ETag one body: RFC 9110 section 8.8.1), answered 304 when the request's
    ETag matches."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.make_conditional(request)
    return response


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render an HTML page."""
    html = render_template(template, **context)
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def install(app: Flask) -> None:
    """Make the helpers available in templates."""
    app.jinja_env.globals.update(href=href, curie=curie, json_ld_script=json_ld_script)
    app.context_processor(lambda: {"root": request.script_root})
    app.jinja_env.autoescape = True
