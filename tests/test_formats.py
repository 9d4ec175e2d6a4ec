"""The format table and content negotiation: look-ups, q-values, wildcards, parameters, format=
overrides, 406 with what is offered."""

from __future__ import annotations

import pyoxigraph
import pytest

from psfkg import formats
from psfkg.errors import NotAcceptable
from psfkg.query import store
from psfkg.web import description


@pytest.mark.parametrize(
    ("offers", "accept", "expected"),
    [
        (formats.for_form("SELECT"), None, "application/sparql-results+json"),
        (formats.for_form("SELECT"), "*/*", "application/sparql-results+json"),
        (formats.for_form("SELECT"), "text/csv", "text/csv"),
        (formats.for_form("SELECT"), "text/*", "text/csv"),
        (
            formats.for_form("SELECT"),
            "application/sparql-results+json;q=0.5, text/tab-separated-values",
            "text/tab-separated-values",
        ),
        (formats.for_form("SELECT"), "application/json", "application/sparql-results+json"),
        (
            formats.for_form("SELECT"),
            "text/html, application/xhtml+xml, */*;q=0.8",
            "application/sparql-results+json",
        ),
        (
            formats.for_form("CONSTRUCT"),
            "application/rdf+xml;q=0.9, text/turtle;q=0.1",
            "application/rdf+xml",
        ),
        (formats.for_form("CONSTRUCT"), "application/ld+json", "application/ld+json"),
        (formats.for_form("CONSTRUCT"), "application/n-quads", "application/n-quads"),
        (
            formats.for_form("ASK"),
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
        formats.negotiate(
            formats.for_form("SELECT"), "application/sparql-results+json", value
        ).media_type
        == expected
    )


def test_format_means_the_graph_format_for_graph_results() -> None:
    assert (
        formats.negotiate(formats.for_form("CONSTRUCT"), None, "xml").media_type
        == "application/rdf+xml"
    )
    assert (
        formats.negotiate(formats.for_form("CONSTRUCT"), None, "json").media_type
        == "application/ld+json"
    )


def test_unknown_format_parameter_falls_back_to_accept() -> None:
    assert formats.negotiate(formats.for_form("SELECT"), "text/csv", "n3").media_type == "text/csv"


def test_nothing_acceptable_lists_the_offers() -> None:
    with pytest.raises(NotAcceptable) as caught:
        formats.negotiate(formats.for_form("ASK"), "text/csv")
    assert caught.value.status == 406
    assert caught.value.offered == [
        "application/sparql-results+json",
        "application/sparql-results+xml",
    ]


def test_a_remembered_negotiation_refuses_every_time() -> None:
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            formats.negotiate(formats.for_form("ASK"), "text/csv")
    assert formats.negotiate(formats.for_form("SELECT"), "text/csv") is formats.CSV


def test_each_suffix_and_media_type_names_one_format() -> None:
    suffixes = [f.suffix for f in formats.TABLE]
    media_types = [f.media_type for f in formats.TABLE]
    assert len(set(suffixes)) == len(suffixes) and len(set(media_types)) == len(media_types)
    for fmt in formats.TABLE:
        assert formats.from_suffix(fmt.suffix) is fmt
        assert formats.from_media_type(fmt.content_type) is fmt
        assert formats.by_name(fmt.name, formats.TABLE) is not None


def test_the_query_forms_each_format_carries() -> None:
    assert formats.for_form("SELECT") == (
        formats.JSON_RESULTS,
        formats.XML_RESULTS,
        formats.CSV,
        formats.TSV,
    )
    assert formats.for_form("ASK") == (formats.JSON_RESULTS, formats.XML_RESULTS)
    assert formats.for_form("CONSTRUCT") == formats.for_form("DESCRIBE")
    assert [f.suffix for f in formats.for_form("CONSTRUCT")] == [
        "ttl",
        "jsonld",
        "nt",
        "rdf",
        "nq",
        "trig",
    ]
    with pytest.raises(ValueError):
        formats.for_form("UPDATE")


def test_the_store_writes_every_format_the_table_offers() -> None:
    assert set(store.SELECT_WRITERS) == set(formats.for_form("SELECT"))
    assert set(store.ASK_WRITERS) == set(formats.for_form("ASK"))
    for fmt in formats.for_form("CONSTRUCT"):
        rdf = pyoxigraph.RdfFormat.from_media_type(fmt.media_type)
        assert rdf is not None and rdf.file_extension == fmt.suffix


def test_the_service_description_names_every_result_format() -> None:
    results = {f for form in ("SELECT", "ASK", "CONSTRUCT") for f in formats.for_form(form)}
    assert set(description.FORMAT_IRIS) == results


def test_look_ups_by_media_type_prefer_a_format_s_own_type_to_an_alias() -> None:
    assert formats.from_media_type("text/plain") is formats.TEXT
    assert formats.from_media_type("text/plain", formats.for_form("CONSTRUCT")) is formats.N_TRIPLES
    assert formats.from_media_type("application/json") is formats.JSON
    assert (
        formats.from_media_type("application/json", formats.for_form("ASK")) is formats.JSON_RESULTS
    )
    assert formats.from_media_type("text/turtle; charset=iso-8859-1") is None
    assert formats.from_media_type("image/png") is None


CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
GRAPHS = formats.for_form("CONSTRUCT")
RESOURCE = (formats.HTML, formats.TURTLE, formats.JSON_LD, formats.N_TRIPLES, formats.RDF_XML)


@pytest.mark.parametrize(
    ("offers", "accept", "expected"),
    [
        (GRAPHS, "text/turtle; charset=utf-8", formats.TURTLE),
        (GRAPHS, "text/turtle;charset=UTF-8;q=0.9, application/rdf+xml;q=0.5", formats.TURTLE),
        (GRAPHS, 'text/turtle; charset="utf-8"', formats.TURTLE),
        (
            GRAPHS,
            'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"',
            formats.JSON_LD,
        ),
        (GRAPHS, "application/ld+json;profile=http://example.org/unknown;q=1", formats.JSON_LD),
        (
            formats.for_form("SELECT"),
            "application/sparql-results+json; charset=utf-8",
            formats.JSON_RESULTS,
        ),
        (GRAPHS, "text/turtle; charset=iso-8859-1, application/n-triples;q=0.1", formats.N_TRIPLES),
        (GRAPHS, "text/turtle;q=0, */*", formats.JSON_LD),
        (GRAPHS, "application/rdf+xml;q=0.8, */*;q=0.8", formats.RDF_XML),
        (RESOURCE, CHROMIUM, formats.HTML),
        (RESOURCE, "application/xml", formats.RDF_XML),
        ((*RESOURCE, formats.TEXT), "text/plain", formats.TEXT),
    ],
)
def test_parameters_it_does_not_know_are_ignored_and_charset_is_honoured(
    offers: tuple[formats.Format, ...], accept: str, expected: formats.Format
) -> None:
    assert formats.negotiate(offers, accept) is expected


@pytest.mark.parametrize(
    "accept",
    [
        "text/turtle; charset=iso-8859-1",
        "application/ld+json; charset=us-ascii",
        "text/turtle;q=0",
        "nonsense",
    ],
)
def test_a_charset_it_does_not_write_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        formats.negotiate(GRAPHS, accept)


def test_format_parameter_may_be_a_media_type_with_parameters() -> None:
    assert formats.negotiate(GRAPHS, None, "text/turtle; charset=utf-8") is formats.TURTLE


@pytest.mark.parametrize(
    ("offers", "accept"),
    [
        (
            formats.for_form("ASK"),
            "application/sparql-results+json;q=0, application/sparql-results+xml;q=0, */*;q=0.1",
        ),
        (
            formats.for_form("CONSTRUCT"),
            ", ".join(f"{f.media_type};q=0" for f in formats.for_form("CONSTRUCT")) + ", */*",
        ),
    ],
)
def test_a_format_refused_by_name_is_not_brought_back_by_an_alias(
    offers: tuple[formats.Format, ...], accept: str
) -> None:
    with pytest.raises(NotAcceptable):
        formats.negotiate(offers, accept)


FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: What rdflib's Graph.parse(url) sends when given no format: every parser's media type.
RDFLIB = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, application/trix, application/trig"
)
SPARQLWRAPPER_JSON = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)
DESCRIBED = formats.for_people((formats.TURTLE, formats.JSON_LD, formats.RDF_XML))


@pytest.mark.parametrize(
    ("offers", "accept", "expected"),
    [
        (DESCRIBED, CHROMIUM, formats.HTML),
        (DESCRIBED, FIREFOX, formats.HTML),
        (DESCRIBED, "text/html", formats.HTML),
        (DESCRIBED, "text/html, text/turtle", formats.HTML),
        (DESCRIBED, "TEXT/HTML", formats.HTML),
        (DESCRIBED, "Text/Turtle", formats.TURTLE),
        (DESCRIBED, "text/turtle, text/html", formats.HTML),
        (DESCRIBED, None, formats.TURTLE),
        (DESCRIBED, "*/*", formats.TURTLE),
        (DESCRIBED, "text/*", formats.TURTLE),
        (DESCRIBED, "application/xml", formats.RDF_XML),
        (DESCRIBED, "text/html;q=0.5, text/turtle", formats.TURTLE),
        (DESCRIBED, "text/html;q=0.9, */*", formats.TURTLE),
        (DESCRIBED, RDFLIB, formats.TURTLE),
        (DESCRIBED, "application/rdf+xml, */*;q=0.1", formats.RDF_XML),
        (formats.for_people(formats.for_form("SELECT")), CHROMIUM, formats.HTML),
        (formats.for_people(formats.for_form("SELECT")), None, formats.JSON_RESULTS),
        (formats.for_people(formats.for_form("SELECT")), "*/*", formats.JSON_RESULTS),
        (formats.for_people(formats.for_form("SELECT")), SPARQLWRAPPER_JSON, formats.JSON_RESULTS),
        (formats.for_people(formats.for_form("SELECT")), "application/xml", formats.XML_RESULTS),
        (formats.for_people(formats.for_form("CONSTRUCT")), FIREFOX, formats.HTML),
        (formats.for_people(formats.for_form("CONSTRUCT")), "*/*", formats.TURTLE),
        (RESOURCE, CHROMIUM, formats.HTML),
        (RESOURCE, "*/*", formats.HTML),
    ],
)
def test_a_page_for_whoever_names_html_first_the_data_for_everyone_else(
    offers: tuple[formats.Format, ...], accept: str | None, expected: formats.Format
) -> None:
    assert formats.negotiate(offers, accept) is expected


def test_for_people_offers_html_once_and_last() -> None:
    assert formats.for_people(DESCRIBED) == DESCRIBED
    assert DESCRIBED[-1] is formats.HTML
    assert formats.for_people(RESOURCE) == RESOURCE
