"""The per-resource index of a release, from which the web serves the release's past versions.

Each line of ``psfkg.nq`` becomes a row: its subject and object IRIs (the object None for a
literal), its predicate, its object's N-Triples text when that is no IRI, and its graph (which
says what reasoning inferred); the quad's N-Triples line is made of these when read. A server
reads a past version of one resource with a few indexed look-ups (:mod:`psfkg.web.memento`)
rather than loading the old release into a store, so old releases cost disk, not memory. The
layout is in :data:`psfkg.release.SCHEMA`.

The index is read from the written file, not from the build's objects: the build writes it in
a process of its own, on another core, while it writes the other dumps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..release import INDEXES, SCHEMA
from .dumps import split

#: The file is new, in a staging folder that a failed build removes: it needs no rollback journal
#: and no syncs while it is written (nor do the dumps beside it). The indexes are sorted in up to
#: 64 MiB of memory (SQLite's sorter works within the page cache's size).
PRAGMAS = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;"
#: A row of the index: subject (IRI, or blank node as ``_:x``), predicate IRI, object IRI or
#: None, the object's N-Triples text when it is no IRI, and the graph IRI.
Row = tuple[str, str, str | None, str | None, str]


def rows(lines: Iterable[str]) -> Iterator[Row]:
    """The rows of the lines of ``psfkg.nq``."""
    for s, p, o, g in split(lines):
        subject = s[1:-1] if s[0] == "<" else s
        if o[0] == "<":
            yield subject, p[1:-1], o[1:-1], None, g[1:-1]
        else:
            yield subject, p[1:-1], None, o, g[1:-1]


def write(nquads: Path, out: Path) -> None:
    """Write the index of the release's quads to the SQLite file ``out``.

    A file written once, its indexes made after its rows, has next to no free pages: it is not
    vacuumed.

    :param nquads: the release's ``psfkg.nq``.
    :param out: the file to create (it must not exist).
    """
    con = sqlite3.connect(out)
    try:
        con.executescript(PRAGMAS + SCHEMA)
        with open(nquads, encoding="utf-8", newline="\n") as lines:
            con.executemany("INSERT INTO quads VALUES (?, ?, ?, ?, ?)", rows(lines))
        con.executescript(INDEXES)
        con.commit()
    finally:
        con.close()
