"""The dump files of a release, written by streaming, in one canonical order.

Quads are sorted once (by their N-Triples terms, each term written once and shared), then each
file is written straight to disk: N-Quads and N-Triples line by line, Turtle by pyoxigraph, and
JSON-LD compacted with psfkg's context one node at a time. No file is built in memory first,
and two builds of the same data give the same bytes. Graphs with blank nodes (the ontology's
lists) get content-derived labels first.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, groupby, repeat
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from ..namespaces import compact, prefixes, rebase
from . import triples
from .triples import AnyGraph, Triple

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_TYPE_NT = f"<{RDF_TYPE}>"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: (subject, predicate, object, graph) as N-Triples text: all the build's main process writes
#: (N-Quads, N-Triples); what needs the terms reads them from those files.
SortedQuad = tuple[str, str, str, str]


def converted(term: Node, base: str) -> Any:
    """An rdflib term as a pyoxigraph term, its IRI moved under ``base``."""
    if isinstance(term, URIRef):
        return ox.NamedNode(rebase(str(term), base))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


class _Texts(dict[Node, str]):
    """rdflib term -> N-Triples text; a term not yet seen is converted on its first look-up,
    so that looking up a known one is a single call in C."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def __missing__(self, term: Node) -> str:
        found = self[term] = str(converted(term, self.base))
        return found


class Terms:
    """rdflib terms as their N-Triples text, each converted once (validation and the release
    step ask for the same terms), and as pyoxigraph terms when asked (they are few)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.seen = _Texts(base)

    def __call__(self, term: Node) -> Any:
        """The pyoxigraph term of ``term``, made anew."""
        return converted(term, self.base)

    def text(self, term: Node) -> str:
        """The N-Triples text of ``term``."""
        return self.seen[term]

    def texts(self, terms: Iterable[Node]) -> Iterator[str]:
        """The N-Triples text of each of ``terms``, with no Python call per term but for new
        ones (millions of look-ups in the build)."""
        return map(self.seen.__getitem__, terms)


def _blank(graph: Iterable[Triple]) -> bool:
    """Whether a graph has a blank node (a predicate is never one)."""
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _, o in graph)


def canonical(graph: Graph) -> Graph:
    """``graph`` with blank nodes labelled from their content, so that labels are stable."""
    if not _blank(graph):
        return graph
    out = Graph()
    for t in to_canonical_graph(graph):
        out.add(t)
    return out


def _labelled(graph: AnyGraph) -> Iterable[Triple]:
    """The triples of ``graph``, labelled by :func:`canonical` if it has blank nodes."""
    if not _blank(graph):
        return graph
    return canonical(graph if isinstance(graph, Graph) else triples.graph(graph))


def sorted_rows(
    graphs: Mapping[URIRef, AnyGraph], base: str, terms: Terms | None = None
) -> list[SortedQuad]:
    """Every quad, sorted by subject, predicate, object and graph, without duplicates.

    :param terms: terms already converted (used when under ``base``), so that each is once.
    """
    terms = terms if terms is not None and terms.base == base else Terms(base)
    rows: list[SortedQuad] = []
    for name, graph in graphs.items():
        text = terms.texts(chain.from_iterable(_labelled(graph)))
        rows.extend(zip(text, text, text, repeat(terms.text(name))))
    # Sorted in place (a set took four times a list's memory); a quad twice (two rdflib
    # literals written alike) is then next to itself, and kept once.
    rows.sort()
    return [row for row, _ in groupby(rows)]


def _triples(rows: list[SortedQuad], graphs: set[str]) -> Iterator[SortedQuad]:
    """The rows of some graphs, one per triple."""
    last = None
    for row in rows:
        if row[3] in graphs and row[:3] != last:
            last = row[:3]
            yield row


def write_nquads(out: IO[str], rows: Iterable[SortedQuad]) -> None:
    """N-Quads, one line per quad."""
    out.writelines(f"{s} {p} {o} {g} .\n" for s, p, o, g in rows)


def write_ntriples(out: IO[str], rows: Iterable[SortedQuad]) -> None:
    """N-Triples, one line per triple."""
    out.writelines(f"{s} {p} {o} .\n" for s, p, o, _ in rows)


def write_turtle(out: IO[bytes], triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> None:
    """Turtle with psfkg's prefixes, grouped by subject (pyoxigraph's writer)."""
    ox.serialize(triples, output=out, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def write_jsonld(out: IO[str], triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> None:
    """JSON-LD compacted with the context of ``prefixes``: one node object per subject (the
    triples in subject order)."""
    by_length = dict(sorted(prefixes.items(), key=lambda kv: -len(kv[1])))
    compacted: dict[str, str] = {}

    def short(iri: str) -> str:
        """A predicate, class or datatype compacted: they are few, and on most nodes."""
        found = compacted.get(iri)
        if found is None:
            found = compacted[iri] = compact(iri, by_length)
        return found

    def ref(term: Any) -> str:
        return (
            f"_:{term.value}" if isinstance(term, ox.BlankNode) else compact(term.value, by_length)
        )

    def value(term: Any) -> dict[str, str]:
        if not isinstance(term, ox.Literal):
            return {"@id": ref(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value != XSD_STRING:
            return {"@value": term.value, "@type": short(term.datatype.value)}
        return {"@value": term.value}

    out.write('{"@context": ' + json.dumps(prefixes) + ',\n "@graph": [')
    first = True
    for _, group in groupby(triples, key=lambda t: t.subject):
        node: dict[str, Any] = {}
        for s, p, o in group:
            node.setdefault("@id", ref(s))
            if p.value == RDF_TYPE and isinstance(o, ox.NamedNode):
                node.setdefault("@type", []).append(short(o.value))
            else:
                node.setdefault(short(p.value), []).append(value(o))
        out.write(("\n  " if first else ",\n  ") + json.dumps(node, ensure_ascii=False))
        first = False
    out.write("\n ]\n}\n")


def gzip_file(path: Path) -> Path:
    """``path.gz``, the same bytes for the same input (no name, no time in the header)."""
    target = path.with_name(path.name + ".gz")
    with (
        open(path, "rb") as source,
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as packed,
    ):
        shutil.copyfileobj(source, packed, 1 << 20)
    return target


@dataclass
class Statistics:
    """What VoID says of a dataset, counted in one pass over its sorted quads. IRIs are as
    published (under the release's base); triples are those of the default graph, the set union
    of the graphs."""

    triples: int = 0
    #: graph IRI -> its triples.
    graphs: Counter[str] = field(default_factory=Counter)
    #: predicate IRI -> triples.
    predicates: Counter[str] = field(default_factory=Counter)
    #: class IRI -> resources of that class.
    classes: Counter[str] = field(default_factory=Counter)
    #: class IRI -> its first record (IRI under ``<base>id/``) in IRI order.
    examples: dict[str, str] = field(default_factory=dict)
    #: Distinct records: IRIs under ``<base>id/`` with a statement of their own.
    records: int = 0


def split(lines: Iterable[str]) -> Iterator[tuple[str, str, str, str]]:
    """The terms of N-Quads lines as :func:`write_nquads` writes them (``s p o g .``, one space
    between, every graph named), as N-Triples text. IRIs and blank nodes hold no space, so a
    literal's spaces are between the predicate and the graph."""
    for line in lines:
        s, p, rest = line.split(" ", 2)
        o, g = rest[:-3].rsplit(" ", 1)  # " .\n"
        yield s, p, o, g


def statistics(nquads: Path, base: str) -> Statistics:
    """Count :class:`Statistics` over the lines of ``psfkg.nq`` (sorted as :func:`sorted_rows`
    sorts them). Done in a process of its own while the build goes on."""
    stats, space = Statistics(), f"<{base}id/"
    last: tuple[str, str, str] | None = None
    last_subject = None
    with open(nquads, encoding="utf-8", newline="\n") as lines:
        for s, p, o, g in split(lines):
            stats.graphs[g[1:-1]] += 1
            if (s, p, o) == last:
                continue
            last = (s, p, o)
            stats.triples += 1
            stats.predicates[p[1:-1]] += 1
            record = s.startswith(space)
            if s != last_subject:
                last_subject = s
                stats.records += record
            if p == RDF_TYPE_NT and o[0] == "<":
                stats.classes[o[1:-1]] += 1
                if record:
                    stats.examples.setdefault(o[1:-1], s[1:-1])
    return stats


def write_lines(path: Path, rows: Iterable[SortedQuad], *, graphs: bool) -> None:
    """Write ``rows`` (from :func:`sorted_rows`) to ``path`` as N-Quads, or with ``graphs``
    false as N-Triples."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        (write_nquads if graphs else write_ntriples)(out, rows)


def from_ntriples(path: Path, ntriples: Path, base: str) -> None:
    """Write the triples of the N-Triples file ``ntriples`` to ``path`` in the order they are
    in, as Turtle (``.ttl``) or JSON-LD (``.jsonld``), with the prefixes of ``base``. Done in a
    process of its own while the build goes on: the file is parsed by pyoxigraph, and its blank
    nodes keep their labels."""
    moved = prefixes(base)
    triples = (q.triple for q in ox.parse(path=ntriples, format=ox.RdfFormat.N_TRIPLES))
    if path.suffix == ".ttl":
        with open(path, "wb") as raw:
            write_turtle(raw, triples, moved)
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            write_jsonld(out, triples, moved)


def public_rows(rows: list[SortedQuad], public: set[str]) -> Iterator[SortedQuad]:
    """The rows of the graphs named in ``public`` (N-Triples text), one per triple: what
    ``psfkg.nt``, ``psfkg.ttl`` and ``psfkg.jsonld`` hold."""
    return _triples(rows, public)
