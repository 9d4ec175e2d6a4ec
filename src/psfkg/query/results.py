r"""SPARQL 1.1 Query Results: JSON, XML, CSV and TSV, written from pyoxigraph terms.

psfkg writes them itself (rather than with pyoxigraph's writers) so that it can stop at the
result-row cap and still write a complete, valid document. A row is a tuple of terms in the order
of the variables (None where unbound). Each distinct term is written once per column and answer
(:func:`_cells`): IRIs repeat from row to row, and the memo keeps the writers near the speed of
pyoxigraph's own.

>>> from pyoxigraph import Literal, NamedNode
>>> rows = [(NamedNode("http://e.org/a"), Literal("x, y", language="en"))]
>>> csv(["s", "n"], rows)
b's,n\r\nhttp://e.org/a,"x, y"\r\n'
>>> tsv(["s", "n"], rows)
b'?s\t?n\n<http://e.org/a>\t"x, y"@en\n'
"""

from __future__ import annotations

import functools
import json as _json
import re
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring as _quote
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode

Values = Sequence[object]
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
#: Turtle's short forms of numbers, each read back as its own datatype.
TURTLE_NUMBER = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
}


def _cells(
    rows: Sequence[Values], writers: Sequence[Callable[[object], str]], unbound: str | None
) -> Iterator[list[str]]:
    """Each row's cells as text: column ``i`` written by ``writers[i]``, each distinct term once;
    an unbound cell is ``unbound``, or left out when that is None."""
    columns: list[tuple[Callable[[object], str], dict[object, str]]] = [(w, {}) for w in writers]
    for row in rows:
        cells: list[str] = []
        append = cells.append
        for term, (write, seen) in zip(row, columns):  # noqa: B905 (rows are as wide as the head)
            if term is None:
                if unbound is not None:
                    append(unbound)
                continue
            cell = seen.get(term)
            if cell is None:
                cell = seen[term] = write(term)
            append(cell)
        yield cells


def _keyed(key: str, write: Callable[[object], str], term: object) -> str:
    return key + write(term)


def _json_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f'{{"type":"uri","value":{_quote(term.value)}}}'
    if isinstance(term, BlankNode):
        return f'{{"type":"bnode","value":{_quote(term.value)}}}'
    if isinstance(term, Literal):
        value = _quote(term.value)
        if term.language:
            return f'{{"type":"literal","value":{value},"xml:lang":{_quote(term.language)}}}'
        if term.datatype.value != XSD_STRING:
            return f'{{"type":"literal","value":{value},"datatype":{_quote(term.datatype.value)}}}'
        return f'{{"type":"literal","value":{value}}}'
    return f'{{"type":"literal","value":{_quote(str(term))}}}'


def json(variables: Sequence[str], rows: Sequence[Values]) -> bytes:
    """``application/sparql-results+json`` for a SELECT result."""
    writers = [functools.partial(_keyed, _json.dumps(v) + ":", _json_term) for v in variables]
    bindings = ",".join("{" + ",".join(cells) + "}" for cells in _cells(rows, writers, None))
    head = _json.dumps({"vars": list(variables)})
    return f'{{"head": {head}, "results": {{"bindings": [{bindings}]}}}}'.encode()


def json_boolean(value: bool) -> bytes:
    """``application/sparql-results+json`` for an ASK result."""
    return _json.dumps({"head": {}, "boolean": value}).encode("utf-8")


def _xml_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            datatype = quoteattr(term.datatype.value)
            return f"<literal datatype={datatype}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _xml_binding(term: object) -> str:
    return _xml_term(term) + "</binding>"


XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def xml(variables: Sequence[str], rows: Sequence[Values]) -> bytes:
    """``application/sparql-results+xml`` for a SELECT result."""
    writers = [
        functools.partial(_keyed, f"<binding name={quoteattr(v)}>", _xml_binding) for v in variables
    ]
    head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
    results = "".join(
        "<result>" + "".join(cells) + "</result>" for cells in _cells(rows, writers, None)
    )
    return f"{XML_HEAD}<head>{head}</head><results>{results}</results></sparql>\n".encode()


def xml_boolean(value: bool) -> bytes:
    """``application/sparql-results+xml`` for an ASK result."""
    text = "true" if value else "false"
    return f"{XML_HEAD}<head/><boolean>{text}</boolean></sparql>\n".encode()


def _csv_field(term: object) -> str:
    if isinstance(term, BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, NamedNode | Literal):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv(variables: Sequence[str], rows: Sequence[Values]) -> bytes:
    """``text/csv`` (SPARQL 1.1 CSV): lexical forms only, CRLF line ends."""
    lines = [",".join(_csv_field(v) for v in variables)]
    lines += [",".join(cells) for cells in _cells(rows, [_csv_field] * len(variables), "")]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _tsv_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        value, datatype = term.value, term.datatype.value
        number = TURTLE_NUMBER.get(datatype)
        if number is not None and number.fullmatch(value):
            return value
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        quoted = quoted.replace("\n", "\\n").replace("\r", "\\r") + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if datatype != XSD_STRING:
            return f"{quoted}^^<{datatype}>"
        return quoted
    return str(term)


def tsv(variables: Sequence[str], rows: Sequence[Values]) -> bytes:
    """``text/tab-separated-values`` (SPARQL 1.1 TSV): terms in Turtle syntax."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(cells) for cells in _cells(rows, [_tsv_term] * len(variables), "")]
    return ("\n".join(lines) + "\n").encode("utf-8")
