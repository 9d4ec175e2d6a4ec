"""What an old release said of one resource, read from its ``resources.sqlite`` (see
:mod:`psfkg.build.mementos`) with a few indexed look-ups: never the release loaded.

:func:`described` gives what the current page's queries give from the live store
(``resource.rq`` and ``context.rq``): the resource's statements, those that point at it, the
labels of what is at their other ends, its participations with their organisations' countries,
which of its statements reasoning inferred (the release's inferred graph; an index built
before it kept graphs says none), and the psfkg types of what points at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, URIRef

from ..release import LINE
from .statements import Context, triples

#: At most this many IRIs in one ``IN (...)`` of SQLite.
CHUNK = 500
LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
)
TYPE = str(RDF.type)
#: A row: subject, predicate, object IRI (or None), N-Triples line, graph (or None).
Row = tuple[str, str, str | None, str, str | None]


def query(index: Path, sql: str, args: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Rows of ``sql`` on the index, opened read-only."""
    con = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def holds(index: Path, iri: str) -> bool:
    """Whether the release states anything about ``iri`` (as subject)."""
    return bool(query(index, "SELECT 1 FROM quads WHERE s = ? LIMIT 1", (iri,)))


@lru_cache(maxsize=256)
def _columns(index: Path) -> str:
    """What to select for a :data:`Row` from the index, by its layout: the line made of the
    row's terms (:data:`LINE`), or as older releases hold it; None for the graph of an index
    that does not keep it. Read once per index: a release never changes."""
    held = {row[1] for row in query(index, "PRAGMA table_info(quads)", ())}
    line = "line" if "line" in held else LINE
    return f"s, p, o, {line}, {'g' if 'g' in held else 'NULL'}"


def _rows(index: Path, where: str, args: tuple[str, ...], columns: str) -> list[Row]:
    found = query(index, f"SELECT {columns} FROM quads WHERE {where}", args)
    return [(r[0], r[1], r[2], r[3], r[4]) for r in found]


def _about(
    index: Path, subjects: Iterable[str], predicates: tuple[str, ...], columns: str
) -> list[Row]:
    """The rows of ``subjects`` with one of ``predicates`` (any, when none is given)."""
    ordered = sorted(set(subjects))
    found: list[Row] = []
    for start in range(0, len(ordered), CHUNK):
        chunk = tuple(ordered[start : start + CHUNK])
        where = f"s IN ({', '.join('?' * len(chunk))})"
        if predicates:
            where += f" AND p IN ({', '.join('?' * len(predicates))})"
        found += _rows(index, where, (*chunk, *predicates), columns)
    return found


def described(index: Path, iri: str, *, psf: str, inferred: str) -> tuple[bytes, Context]:
    """The resource ``iri`` as the release held it, as N-Triples, and its :class:`Context`.

    :param psf: psfkg's term namespace under the release's base (``.../def#``).
    :param inferred: the IRI of the release's graph of inferred statements.
    """
    columns = _columns(index)
    own = _rows(index, "s = ? OR o = ?", (iri, iri), columns)
    outgoing = {o for s, _, o, _, _ in own if s == iri and o}
    pointing = {s for s, _, o, _, _ in own if o == iri}
    parts = {o for s, p, o, _, _ in own if s == iri and p == psf + "hasParticipation" and o}
    parts |= {s for s, p, o, _, _ in own if o == iri and p == psf + "participant"}
    of_parts = _about(index, parts, (), columns)
    orgs = {o for s, p, o, _, _ in of_parts if p == psf + "participant" and o}
    countries = _about(index, orgs, (psf + "country",), columns)
    ends = outgoing | pointing | {o for *_, o, _, _ in (*of_parts, *countries) if o}
    rows = [*own, *of_parts, *countries, *_about(index, ends, LABELS, columns)]
    kinds = [r for r in _about(index, pointing, (TYPE,), columns) if r[2] and r[2].startswith(psf)]
    found = Context()
    subject = URIRef(iri)
    lines = {line for _, _, _, line, g in own if g == inferred}
    for s, p, o in triples("".join(sorted(lines)).encode("utf-8")):
        if s == subject or (o == subject and p != RDF.type):
            found.inferred.add((s, p, o))
    for s, _, o in triples("".join(sorted(r[3] for r in kinds)).encode("utf-8")):
        found.kinds.setdefault(s, []).append(o)
    for listed in found.kinds.values():
        listed.sort(key=str)
    return "".join(sorted({r[3] for r in rows})).encode("utf-8"), found
