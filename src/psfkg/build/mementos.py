"""The per-resource index of a release, from which the web serves the release's past versions.

Each quad of ``psfkg.nq`` (from the sorted rows it was written from, not read back) becomes a
row: its subject and object IRIs (the object None for a literal), its predicate, its object's
N-Triples text when that is no IRI, and its graph (which says what reasoning inferred); the
quad's N-Triples line is made of these when read. A server reads a past version of one resource
with a few indexed look-ups (:mod:`psfkg.web.memento`) rather than loading the old release into
a store, so old releases cost disk, not memory. The layout is in :data:`psfkg.release.SCHEMA`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..release import INDEXES, SCHEMA
from .dumps import SortedQuad

#: The file is new, in a staging folder that a failed build removes: it needs no rollback journal
#: and no syncs while it is written (nor do the dumps beside it). The indexes are sorted in up to
#: 64 MiB of memory (SQLite's sorter works within the page cache's size).
PRAGMAS = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;"


def write(rows: Iterable[SortedQuad], out: Path) -> None:
    """Write the index of the release's quads to the SQLite file ``out``.

    A file written once, its indexes made after its rows, has next to no free pages: it is not
    vacuumed.

    :param rows: the release's whole dataset, as :func:`psfkg.build.dumps.sorted_rows` gives it
        (and ``psfkg.nq`` holds it).
    :param out: the file to create (it must not exist).
    """
    con = sqlite3.connect(out)
    try:
        con.executescript(PRAGMAS + SCHEMA)
        con.executemany(
            "INSERT INTO quads VALUES (?, ?, ?, ?, ?)",
            (
                (
                    s.value if isinstance(s, ox.NamedNode) else s_nt,
                    p.value,
                    *((o.value, None) if isinstance(o, ox.NamedNode) else (None, o_nt)),
                    g_nt[1:-1],
                )
                for s_nt, _, o_nt, g_nt, s, p, o in rows
            ),
        )
        con.executescript(INDEXES)
        con.commit()
    finally:
        con.close()
