"""A past version read from ``resources.sqlite``: the same answer from every layout a release
may hold (the line made of the row's terms; the line stored, as older releases hold it; and
the oldest, without graphs)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Literal, URIRef

from psfkg.build import dumps, mementos, triples
from psfkg.namespaces import ASSERTED_GRAPH, DEFAULT_BASE, INFERRED_GRAPH, PSF
from psfkg.web import past

ID = DEFAULT_BASE + "id/"
PROJECT, PART, ORG = URIRef(ID + "project/p"), URIRef(ID + "participation/x"), URIRef(ID + "o")
ASSERTED = [
    (PROJECT, RDF.type, PSF.Project),
    (PROJECT, RDFS.label, Literal('Baltic "Sea" 2030\nproject', lang="en")),
    (PROJECT, PSF.hasParticipation, PART),
    (PROJECT, PSF.budget, Literal("12.5", datatype=URIRef(str(RDF) + "XMLLiteral"))),
    (PROJECT, RDFS.seeAlso, BNode("note")),
    (BNode("note"), RDFS.label, Literal("Łódź and Tromsø")),
    (PART, PSF.participant, ORG),
    (ORG, PSF.country, URIRef(ID + "country/se")),
    (ORG, RDFS.label, Literal("Nordic Council")),
    (URIRef(ID + "country/se"), RDFS.label, Literal("Sweden", lang="en")),
]
INFERRED = [(PART, PSF.participationOf, PROJECT), (ORG, RDF.type, PSF.Organisation)]
OLD = "CREATE TABLE quads (s TEXT NOT NULL, p TEXT NOT NULL, o TEXT, line TEXT NOT NULL{});"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same quads in the three layouts."""
    folder = tmp_path_factory.mktemp("past")
    graphs = {ASSERTED_GRAPH: triples.Triples(ASSERTED), INFERRED_GRAPH: triples.Triples(INFERRED)}
    rows = dumps.sorted_rows(graphs, DEFAULT_BASE)
    with open(folder / "psfkg.nq", "w", encoding="utf-8", newline="\n") as out:
        dumps.write_nquads(out, rows)
    mementos.write(folder / "psfkg.nq", folder / "now.sqlite")
    found = {"now": folder / "now.sqlite"}
    # The rows as releases before this layout held them, each with its line as psfkg.nq has it.
    held = [
        (
            s_nt[1:-1] if s_nt[0] == "<" else s_nt,
            p_nt[1:-1],
            o_nt[1:-1] if o_nt[0] == "<" else None,
            f"{s_nt} {p_nt} {o_nt} .\n",
            g[1:-1],
        )
        for s_nt, p_nt, o_nt, g in rows
    ]
    for name, graph in (("lines", True), ("oldest", False)):
        found[name] = folder / f"{name}.sqlite"
        con = sqlite3.connect(found[name])
        con.execute(OLD.format(", g TEXT" if graph else ""))
        width = 5 if graph else 4
        con.executemany(
            f"INSERT INTO quads VALUES ({', '.join('?' * width)})", (r[:width] for r in held)
        )
        con.commit()
        con.close()
    return found


@pytest.mark.parametrize("iri", [PROJECT, PART, ORG])
def test_every_layout_gives_the_same_past_version(written: dict[str, Path], iri: str) -> None:
    answers = {
        name: past.described(path, str(iri), psf=str(PSF), inferred=str(INFERRED_GRAPH))
        for name, path in written.items()
    }
    data, context = answers["now"]
    assert answers["lines"] == answers["now"]
    assert answers["oldest"][0] == data and not answers["oldest"][1].inferred
    lines = data.decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) and all(line.endswith(" .") for line in lines)
    if iri == PROJECT:
        assert '"Baltic \\"Sea\\" 2030\\nproject"@en' in data.decode("utf-8")
        assert any(f"<{RDFS.seeAlso}> _:" in line for line in lines)
        assert '"Sweden"@en' in data.decode("utf-8")  # the partner's country, by its label
    if iri == PART:
        assert context.inferred == {(PART, PSF.participationOf, PROJECT)}


def test_a_subject_is_found_whatever_its_kind(written: dict[str, Path]) -> None:
    data = past.described(written["now"], str(PROJECT), psf=str(PSF), inferred="")[0]
    blank = next(w for w in data.decode("utf-8").split() if w.startswith("_:"))
    for path in written.values():
        assert past.holds(path, str(PROJECT)) and past.holds(path, blank)
        assert not past.holds(path, str(ID + "project/q"))
