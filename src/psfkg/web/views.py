"""HTML views of resources: what each page shows, built from the resource's data graph.

Every page shows labels and description, links in both directions with their labels, the line of
the source page each fact came from, the alternate formats, a "query this" panel, and schema.org
JSON-LD for search engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, request
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL
from rdflib.term import Node

from ..namespaces import INFERRED_GRAPH, rebase
from . import statements
from .service import served_release, service
from .site import alternates, href, label, local_path, page, url
from .statements import Link, incoming, inverses, link, outgoing, predicate_link, shown

Renderer = Callable[[URIRef, Graph], Response]
#: schema.org types of psfkg's classes, by their name in psfkg's namespace.
SCHEMA_TYPES = {
    "Project": "Project",
    "Organisation": "Organization",
    "Country": "Country",
    "Event": "Event",
    "Meeting": "Event",
    "FundingProgramme": "FundingScheme",
}
#: Labels of a resource: the page's title names it by one of them.
LABELLING = {RDFS.label, SKOS.prefLabel, DCTERMS.title}
#: psfkg's properties that link a project, a participation and an organisation: a page with a
#: table of participations shows them there.
PARTICIPATION_LINKS = (
    "hasParticipation",
    "participationIn",
    "participant",
    "participates",
    "involvesOrganisation",
    "involvedIn",
)


def tabled(graph: Graph, subject: URIRef) -> set[Node]:
    """What the resource's table of participations shows: the participations, and the
    organisations and projects they link."""
    psf = service().psf
    parts = set(graph.objects(subject, psf.hasParticipation))
    parts |= set(graph.subjects(psf.participant, subject))
    linked = {
        o
        for part in parts
        for p in (psf.participant, psf.participationIn)
        for o in graph.objects(part, p)
    }
    return parts | linked


def participations(graph: Graph, subject: URIRef, *, of_project: bool) -> list[dict[str, Link]]:
    """The partner table of a project, or the project table of an organisation."""
    psf = service().psf
    parts = (
        graph.objects(subject, psf.hasParticipation)
        if of_project
        else graph.subjects(psf.participant, subject)
    )
    table = []
    for part in parts:
        org, project = graph.value(part, psf.participant), graph.value(part, psf.participationIn)
        country = graph.value(org, psf.country) if org is not None else None
        role, written, remark = (
            graph.value(part, p) for p in (psf.role, psf.nameAsWritten, psf.remark)
        )
        table.append(
            {
                "organisation": link(graph, org) if org is not None else Link("?"),
                "project": link(graph, project) if project is not None else Link("?"),
                "country": link(graph, country) if country is not None else Link(""),
                "role": Link(predicate_link(role).text if role else ""),
                "written": Link(str(written or "")),
                "remark": Link(str(remark or "")),
                "participation": link(graph, part),
            }
        )
    key = "organisation" if of_project else "project"
    return sorted(table, key=lambda row: (row["role"].text != "coordinator", row[key].text))


def sources(graph: Graph, subject: URIRef) -> list[Link]:
    """The lines of the source pages the resource came from."""
    out = []
    for src in sorted(graph.objects(subject, DCTERMS.source), key=str):
        name, _, lines = str(src).rsplit("/", 1)[-1].partition("#line=")
        out.append(Link(f"{name}, line {lines.split(',')[-1]}" if lines else name, href(src)))
    return out


def schema_org(graph: Graph, subject: URIRef, types: set[Node]) -> dict[str, Any]:
    """schema.org JSON-LD for search engines."""
    psf = service().psf
    names = {str(t)[len(psf) :] for t in types if str(t).startswith(psf)}
    kind = next((SCHEMA_TYPES[n] for n in sorted(names) if n in SCHEMA_TYPES), "Thing")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": str(subject),
        "name": label(graph, subject),
        "url": request.url_root.rstrip("/") + request.path,
    }
    description = graph.value(subject, psf.description) or graph.value(subject, psf.title)
    if description is not None:
        data["description"] = str(description)
    same = [str(o) for o in graph.objects(subject, psf.wikidata)] + [
        str(o) for o in graph.objects(subject, psf.euAuthority)
    ]
    if same:
        data["sameAs"] = same
    if kind == "Project":
        data["member"] = [
            {"@type": "Organization", "@id": str(o), "name": label(graph, o)}
            for o in graph.objects(subject, psf.involvesOrganisation)
        ]
    return data


def query_panel(iri: str) -> dict[str, str]:
    """The SPARQL and curl commands that fetch this resource."""
    root = request.url_root.rstrip("/")
    sparql = f"DESCRIBE <{iri}>"
    turtle = "curl -H 'Accept: text/turtle'"
    return {
        "sparql": sparql,
        "curl": f"{turtle} {root}{local_path(iri) or ''}",
        "curl_sparql": f"{turtle} -G --data-urlencode 'query={sparql}' {root}/sparql",
    }


def resource(
    subject: URIRef,
    graph: Graph,
    found: statements.Context | None = None,
    *,
    memento: dict[str, Any] | None = None,
) -> Response:
    """The page of a record: each fact once. Its participations are one table; what the table,
    the title, the description and the sources show is not listed again among the statements;
    inferred statements are marked (and hidden by ``?inferred=0``).

    :param found: which statements were inferred, and what links here; the live store's
        unless given.
    :param memento: for a past version (see :func:`psfkg.web.memento.past_page`), its release
        and links: the page says it is not current, links its own formats, and offers no query
        (which would ask the current graph).
    """
    types = set(graph.objects(subject, RDF.type))
    path = memento["here"] if memento else local_path(str(subject)) or ""
    psf = service().psf
    show_inferred = statements.shows_inferred()
    if found is None:
        found = statements.context(subject)
    title = label(graph, subject)
    description = graph.value(subject, psf.description)
    full_title = graph.value(subject, psf.title)
    partners = participations(graph, subject, of_project=True) if psf.Project in types else []
    projects = participations(graph, subject, of_project=False) if psf.Organisation in types else []
    in_table = tabled(graph, subject) if partners or projects else set()
    links = {psf[name] for name in PARTICIPATION_LINKS}
    inverse = inverses()

    def echo_out(p: Node, o: Node) -> bool:
        """An inferred statement that restates a stated one pointing back (by an inverse)."""
        return (subject, p, o) in found.inferred and any(
            (o, q, subject) in graph and (o, q, subject) not in found.inferred
            for q in inverse.get(p, ())
        )

    def echo_in(p: Node, s: Node) -> bool:
        """A statement pointing here that the page states from here (by an inverse)."""
        return any((subject, q, s) in graph and not echo_out(q, s) for q in inverse.get(p, ()))

    def shown_elsewhere(p: Node, o: Node) -> bool:
        return (
            (p in links and o in in_table)
            or echo_out(p, o)
            or (p == psf.description and o == description)
            or (p == psf.title and o == full_title)
            or p == DCTERMS.source
            or (p in LABELLING and isinstance(o, Literal) and str(o) == title)
        )

    rows = outgoing(
        graph,
        subject,
        inferred=lambda p, o: (subject, p, o) in found.inferred,
        elsewhere=shown_elsewhere,
    )
    linked_from = incoming(
        graph,
        subject,
        found.kinds,
        inferred=lambda p, s: (s, p, subject) in found.inferred,
        elsewhere=lambda p, s: (p in links and s in in_table) or echo_in(p, s),
    )
    inferred_count = sum(v.inferred for row in rows + linked_from for v in row.values)
    return page(
        "resource.html",
        title=title,
        iri=str(subject),
        types=[predicate_link(t) for t in sorted(types, key=str) if str(t).startswith(psf)],
        description=description,
        full_title=full_title,
        rows=shown(rows, inferred=show_inferred),
        incoming=shown(linked_from, inferred=show_inferred),
        inferred_count=inferred_count,
        show_inferred=show_inferred,
        toggle=url(path) + ("" if not show_inferred else "?inferred=0"),
        inferred_graph=href(rebase(str(INFERRED_GRAPH), service().base)),
        partners=partners,
        projects=projects,
        sources=sources(graph, subject),
        alternates=alternates(path),
        query=None if memento else query_panel(str(subject)),
        json_ld=schema_org(graph, subject, types),
        memento=memento,
    )


def ontology(subject: URIRef, graph: Graph) -> Response:
    """The ontology's documentation, with an anchor for every term."""
    psf = service().psf

    def terms(*kinds: URIRef) -> list[dict[str, Any]]:
        found = {
            s
            for k in kinds
            for s in graph.subjects(RDF.type, k)
            if isinstance(s, URIRef) and str(s).startswith(psf)
        }
        return [
            {
                "id": str(t).split("#", 1)[1],
                "iri": str(t),
                "label": label(graph, t),
                "definition": graph.value(t, SKOS.definition),
                "rows": outgoing(graph, t),
            }
            for t in sorted(found, key=str)
        ]

    return page(
        "ontology.html",
        title=label(graph, subject),
        iri=str(subject),
        version=graph.value(subject, OWL.versionInfo),
        version_iri=graph.value(subject, OWL.versionIRI),
        description=graph.value(subject, DCTERMS.description),
        classes=terms(OWL.Class),
        properties=terms(OWL.ObjectProperty, OWL.DatatypeProperty),
        individuals=terms(psf.Role),
        alternates=alternates("/def"),
        query=query_panel(str(subject)),
        json_ld={
            "@context": "https://schema.org",
            "@type": "DefinedTermSet",
            "@id": str(subject),
            "name": label(graph, subject),
        },
    )


def source(subject: URIRef, graph: Graph) -> Response:
    """A source page: its description, and its text with an anchor on each line."""
    name = str(subject).rsplit("/", 1)[-1]
    text = served_release().source_text(name) or b""
    lines = text.decode("utf-8", errors="replace").splitlines()
    return page(
        "source.html",
        title=label(graph, subject),
        iri=str(subject),
        rows=outgoing(graph, subject),
        lines=lines,
        name=name,
        alternates=alternates(local_path(str(subject)) or ""),
        query=query_panel(str(subject)),
        json_ld={
            "@context": "https://schema.org",
            "@type": "WebPage",
            "@id": str(subject),
            "name": label(graph, subject),
        },
    )


def source_text(name: str) -> Response:
    """The plain text of a source page, as the release holds it."""
    text = served_release().source_text(name)
    if text is None:
        abort(404, f"no source page {name[:80]!r} in this release")
    return Response(text, content_type="text/plain; charset=utf-8")
