"""The per-resource index of a release, from which the web serves the release's past versions.

Each quad of ``psfkg.nq`` (from the sorted rows it was written from, not read back) becomes a
row: its subject and object IRIs (the object None for a literal), its predicate, its triple's
N-Triples line and its graph (which says what reasoning inferred). A server reads a past version
of one resource
with a few indexed look-ups (:mod:`psfkg.web.memento`) rather than loading the old release into
a store, so old releases cost disk, not memory. The layout is in :data:`psfkg.release.SCHEMA`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..release import SCHEMA
from .dumps import SortedQuad


def write(rows: Iterable[SortedQuad], out: Path) -> None:
    """Write the index of the release's quads to the SQLite file ``out``.

    :param rows: the release's whole dataset, as :func:`psfkg.build.dumps.sorted_rows` gives it
        (and ``psfkg.nq`` holds it).
    :param out: the file to create (it must not exist).
    """
    con = sqlite3.connect(out)
    try:
        con.executescript(SCHEMA)
        con.executemany(
            "INSERT INTO quads VALUES (?, ?, ?, ?, ?)",
            (
                (
                    s.value if isinstance(s, ox.NamedNode) else s_nt,
                    p.value,
                    o.value if isinstance(o, ox.NamedNode) else None,
                    f"{s_nt} {p_nt} {o_nt} .\n",
                    g_nt[1:-1],
                )
                for s_nt, p_nt, o_nt, g_nt, s, p, o in rows
            ),
        )
        con.execute("CREATE INDEX by_subject ON quads (s)")
        con.execute("CREATE INDEX by_object ON quads (o)")
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
