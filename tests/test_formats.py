"""Content negotiation: q-values, wildcards, format= overrides, 406 with what is offered."""

from __future__ import annotations

import pytest

from psfkg import formats
from psfkg.errors import NotAcceptable


@pytest.mark.parametrize(
    ("offers", "accept", "expected"),
    [
        (formats.RESULTS, None, "application/sparql-results+json"),
        (formats.RESULTS, "*/*", "application/sparql-results+json"),
        (formats.RESULTS, "text/csv", "text/csv"),
        (formats.RESULTS, "text/*", "text/csv"),
        (
            formats.RESULTS,
            "application/sparql-results+json;q=0.5, text/tab-separated-values",
            "text/tab-separated-values",
        ),
        (formats.RESULTS, "application/json", "application/sparql-results+json"),
        (
            formats.RESULTS,
            "text/html, application/xhtml+xml, */*;q=0.8",
            "application/sparql-results+json",
        ),
        (formats.GRAPH, "application/rdf+xml;q=0.9, text/turtle;q=0.1", "application/rdf+xml"),
        (formats.GRAPH, "application/ld+json", "application/ld+json"),
        (formats.GRAPH, "application/n-quads", "application/n-quads"),
        (
            formats.BOOLEAN,
            "text/csv;q=0.1, application/sparql-results+xml;q=0.2",
            "application/sparql-results+xml",
        ),
    ],
)
def test_accept(offers: tuple[formats.Format, ...], accept: str | None, expected: str) -> None:
    assert formats.negotiate(offers, accept).media_type == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("csv", "text/csv"),
        ("TSV", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_format_parameter_overrides_accept(value: str, expected: str) -> None:
    assert (
        formats.negotiate(formats.RESULTS, "application/sparql-results+json", value).media_type
        == expected
    )


def test_format_means_the_graph_format_for_graph_results() -> None:
    assert formats.negotiate(formats.GRAPH, None, "xml").media_type == "application/rdf+xml"
    assert formats.negotiate(formats.GRAPH, None, "json").media_type == "application/ld+json"


def test_unknown_format_parameter_falls_back_to_accept() -> None:
    assert formats.negotiate(formats.RESULTS, "text/csv", "n3").media_type == "text/csv"


def test_nothing_acceptable_lists_the_offers() -> None:
    with pytest.raises(NotAcceptable) as caught:
        formats.negotiate(formats.BOOLEAN, "text/csv")
    assert caught.value.status == 406
    assert caught.value.offered == [
        "application/sparql-results+json",
        "application/sparql-results+xml",
    ]


def test_a_remembered_negotiation_refuses_every_time() -> None:
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            formats.negotiate(formats.BOOLEAN, "text/csv")
    assert formats.negotiate(formats.RESULTS, "text/csv") is formats.CSV
