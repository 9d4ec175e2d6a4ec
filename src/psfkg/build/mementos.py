"""The per-resource index of a release, from which the web serves the release's past versions.

Each quad of ``psfkg.nq`` becomes a row: its subject and object IRIs (the object None for a
literal), its predicate, its triple's N-Triples line and its graph (which says what reasoning
inferred). A server reads a past version of one resource
with a few indexed look-ups (:mod:`psfkg.web.memento`) rather than loading the old release into
a store, so old releases cost disk, not memory. The layout is in :data:`psfkg.release.SCHEMA`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyoxigraph as ox

from ..release import SCHEMA


def write(nquads: Path, out: Path) -> None:
    """Write the index of the N-Quads file ``nquads`` to the SQLite file ``out``.

    :param nquads: the release's whole dataset, as N-Quads.
    :param out: the file to create (it must not exist).
    """
    con = sqlite3.connect(out)
    try:
        con.executescript(SCHEMA)
        rows = (
            (
                str(q.subject.value if isinstance(q.subject, ox.NamedNode) else q.subject),
                q.predicate.value,
                q.object.value if isinstance(q.object, ox.NamedNode) else None,
                f"{q.subject} {q.predicate} {q.object} .\n",
                q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None,
            )
            for q in ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS)
        )
        con.executemany("INSERT INTO quads VALUES (?, ?, ?, ?, ?)", rows)
        con.execute("CREATE INDEX by_subject ON quads (s)")
        con.execute("CREATE INDEX by_object ON quads (o)")
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
