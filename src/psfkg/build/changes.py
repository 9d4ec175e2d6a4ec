"""After the dumps of step 5: what changed since the previous release (a patch, a changelog).

The new release's ``psfkg.nq`` is compared line by line with that of the release ``latest``
named before this build (its predecessor). The difference is written as:

- ``changes.rdfp``: an `RDF Patch <https://afs.github.io/rdf-delta/rdf-patch.html>`_ (the
  format of Jena's RDF Delta): ``H id``, ``H prev``, ``TX``, one ``D`` row per removed quad,
  then one ``A`` row per added quad (each as in N-Quads, graph included), ``TC``;
- ``removed.nq`` and ``added.nq``: the same quads as two sorted N-Quads files;
- ``changes.json``: the changelog, for people and for the pages: the records (subject IRIs
  under ``<base>id/``) added, removed and changed in the asserted graph, with each changed
  statement's property and its old and new values (N-Triples terms).

A patch's id is ``urn:uuid:`` of the SHA-256 of the N-Quads it leads to, so ``H prev`` of a
patch is the id of the patch before it without reading it. Blank nodes: the dumps label them
from their content (:func:`psfkg.build.dumps.canonical`), so an unchanged OWL list keeps its
labels from one release to the next and a changed one is removed and added whole, under new
labels. The patch names blank nodes by those labels, as RDF Patch asks, so applying it to the
previous release's quads, labels as written (:func:`psfkg.release.apply_patch`), gives the new
release's quads exactly. A release with no predecessor has no patch: nothing came before it.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..namespaces import ASSERTED_GRAPH, rebase
from ..release import ADDED, CHANGES, PATCH, REMOVED, file_sha256


def patch_id(nquads_sha256: str) -> str:
    """The id of the patch that leads to the N-Quads with this SHA-256: a ``urn:uuid:``.

    >>> patch_id("0" * 64)
    'urn:uuid:00000000-0000-0000-0000-000000000000'
    """
    return uuid.UUID(nquads_sha256[:32]).urn


class _Unsorted(Exception):
    """A ``psfkg.nq`` whose lines are not in order (one written by an older psfkg)."""


def _read(path: Path, records: set[str], space: str, graph: str) -> Iterator[str]:
    """The distinct lines of a sorted N-Quads file, noting in ``records`` the subjects under
    ``space`` of lines in ``graph``.

    :raises _Unsorted: at the first line out of order.
    """
    last = ""
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if not line.strip() or line == last:
                continue
            if line < last:
                raise _Unsorted(path)
            last = line
            if record := _record(line, space, graph):
                records.add(record)
            yield line


def _diff(
    previous: Path, current: Path, base: str
) -> tuple[list[str], list[str], set[str], set[str]]:
    """The lines removed and added (sorted) from one ``psfkg.nq`` to the other, and the records
    of each: a merge of the two sorted files, a line at a time from each, so that memory holds
    the difference, not the releases. Files out of order are compared as sets of lines."""
    graph, space = f" <{rebase(str(ASSERTED_GRAPH), base)}> .", f"<{base}id/"
    before: set[str] = set()
    after: set[str] = set()
    removed: list[str] = []
    added: list[str] = []
    try:
        old, new = _read(previous, before, space, graph), _read(current, after, space, graph)
        a, b = next(old, None), next(new, None)
        while a is not None and b is not None:
            if a < b:
                removed.append(a)
                a = next(old, None)
            elif b < a:
                added.append(b)
                b = next(new, None)
            else:
                a, b = next(old, None), next(new, None)
        removed += [a, *old] if a is not None else []
        added += [b, *new] if b is not None else []
    except _Unsorted:
        old_lines, new_lines = _lines(previous), _lines(current)
        before = {r for ln in old_lines if (r := _record(ln, space, graph))}
        after = {r for ln in new_lines if (r := _record(ln, space, graph))}
        removed, added = sorted(old_lines - new_lines), sorted(new_lines - old_lines)
    return removed, added, before, after


def _lines(path: Path) -> set[str]:
    with open(path, encoding="utf-8") as fh:
        return {line.rstrip("\n") for line in fh if line.strip()}


def _record(line: str, space: str, graph: str) -> str | None:
    """The record a line of the asserted graph is about, if it is about one."""
    if line.startswith(space) and line.endswith(graph):
        return line[1 : line.index(">")]
    return None


def _quads(lines: list[str]) -> list[ox.Quad]:
    text = "".join(f"{line}\n" for line in lines).encode("utf-8")
    return list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


def compare(previous: Path, current: Path, base: str) -> dict[str, bytes]:
    """The change files of the release at ``current`` against the release at ``previous``
    (their folders): file name -> bytes.

    :param previous: the predecessor's folder (its ``psfkg.nq`` is read).
    :param current: the new release's staging folder, its ``psfkg.nq`` written.
    :param base: the base IRI the new release is published under.
    """
    removed, added, before, after = _diff(previous / "psfkg.nq", current / "psfkg.nq", base)
    header = [
        f"H id <{patch_id(file_sha256(current / 'psfkg.nq'))}> .",
        f"H prev <{patch_id(file_sha256(previous / 'psfkg.nq'))}> .",
        "TX .",
    ]
    rows = [*header, *(f"D {q}" for q in removed), *(f"A {q}" for q in added), "TC ."]
    changelog = {
        "previous": previous.name,
        "quads": {"added": len(added), "removed": len(removed)},
        **changelog_of(
            _quads(removed),
            _quads(added),
            base,
            before=before,
            after=after,
        ),
    }
    return {
        PATCH: "".join(f"{r}\n" for r in rows).encode("utf-8"),
        REMOVED: "".join(f"{q}\n" for q in removed).encode("utf-8"),
        ADDED: "".join(f"{q}\n" for q in added).encode("utf-8"),
        CHANGES: (json.dumps(changelog, indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
    }


def changelog_of(
    removed: list[ox.Quad], added: list[ox.Quad], base: str, *, before: set[str], after: set[str]
) -> dict[str, Any]:
    """The records added, removed and changed by these quads of the asserted graph.

    A record is added when it was not in the previous release (``before``), removed when it is
    not in the new one (``after``), else changed: its statements grouped by property, old and new
    values beside each other. Inferred and metadata statements follow from the records, so the
    patch holds them and the changelog does not.
    """
    graph, space = rebase(str(ASSERTED_GRAPH), base), base + "id/"
    by_subject: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(
        lambda: defaultdict(lambda: {"old": [], "new": []})
    )
    for side, quads in (("old", removed), ("new", added)):
        for q in quads:
            if (
                isinstance(q.graph_name, ox.NamedNode)
                and q.graph_name.value == graph
                and isinstance(q.subject, ox.NamedNode)
                and q.subject.value.startswith(space)
            ):
                by_subject[q.subject.value][q.predicate.value][side].append(str(q.object))
    out: dict[str, Any] = {"added": [], "removed": [], "changed": []}
    for subject, props in sorted(by_subject.items()):
        if subject not in before:
            out["added"].append(subject)
        elif subject not in after:
            out["removed"].append(subject)
        else:
            statements = [
                {"property": p, "old": sorted(v["old"]), "new": sorted(v["new"])}
                for p, v in sorted(props.items())
            ]
            out["changed"].append({"resource": subject, "statements": statements})
    return out
