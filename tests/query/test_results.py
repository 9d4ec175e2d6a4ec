"""The four SPARQL results formats, read back by an independent parser (rdflib's)."""

from __future__ import annotations

import io

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode
from rdflib import BNode, URIRef
from rdflib import Literal as RLiteral
from rdflib.query import Result

from psfkg.query import results

XSD = "http://www.w3.org/2001/XMLSchema#"
ROWS = [
    (NamedNode("http://e.org/a?x=1&y=2"), Literal('tab\there, "quoted"\nline', language="en")),
    (BlankNode("b0"), Literal("42", datatype=NamedNode(XSD + "integer"))),
    (NamedNode("http://e.org/c"), None),
    (NamedNode("http://e.org/d"), Literal("1.5", datatype=NamedNode(XSD + "decimal"))),
]
EXPECTED = [
    (URIRef("http://e.org/a?x=1&y=2"), RLiteral('tab\there, "quoted"\nline', lang="en")),
    (BNode("b0"), RLiteral("42", datatype=URIRef(XSD + "integer"))),
    (URIRef("http://e.org/c"), None),
    (URIRef("http://e.org/d"), RLiteral("1.5", datatype=URIRef(XSD + "decimal"))),
]


def parsed(body: bytes, fmt: str) -> list[tuple[object, ...]]:
    result = Result.parse(io.BytesIO(body), format=fmt)
    return [tuple(row) for row in result]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("writer", "fmt"), [(results.json, "json"), (results.xml, "xml"), (results.tsv, "tsv")]
)
def test_select_round_trips(writer: object, fmt: str) -> None:
    body = writer(["s", "o"], ROWS)  # type: ignore[operator]
    rows = parsed(body, fmt)
    assert [r[1] for r in rows] == [e[1] for e in EXPECTED]
    assert isinstance(rows[1][0], BNode)


def test_csv_holds_lexical_forms_quoted_as_rfc4180() -> None:
    body = results.csv(["s", "o"], ROWS).decode()
    assert body.startswith("s,o\r\n")
    assert '"tab\there, ""quoted""\nline"' in body
    assert "\r\n_:b0,42\r\n" in body
    assert "\r\nhttp://e.org/c,\r\n" in body


def test_tsv_writes_numbers_in_short_form_only_when_the_datatype_survives() -> None:
    body = results.tsv(["o"], [(Literal("1", datatype=NamedNode(XSD + "decimal")),)]).decode()
    assert body == '?o\n"1"^^<http://www.w3.org/2001/XMLSchema#decimal>\n'


@pytest.mark.parametrize(
    ("writer", "fmt"), [(results.json_boolean, "json"), (results.xml_boolean, "xml")]
)
@pytest.mark.parametrize("value", [True, False])
def test_boolean(writer: object, fmt: str, value: bool) -> None:
    assert Result.parse(io.BytesIO(writer(value)), format=fmt).askAnswer is value  # type: ignore[operator]
