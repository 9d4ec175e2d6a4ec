r"""SPARQL 1.1 Query Results: JSON, XML, CSV and TSV, written from pyoxigraph terms.

psfkg writes them itself (rather than with pyoxigraph's writers) so that it can stop at the
result-row cap and still write a complete, valid document.

>>> from pyoxigraph import Literal, NamedNode
>>> rows = [{"s": NamedNode("http://e.org/a"), "n": Literal("x, y", language="en")}]
>>> csv(["s", "n"], rows)
b's,n\r\nhttp://e.org/a,"x, y"\r\n'
>>> tsv(["s", "n"], rows)
b'?s\t?n\n<http://e.org/a>\t"x, y"@en\n'
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode

Row = Mapping[str, object]
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
#: Turtle's short forms of numbers, each read back as its own datatype.
TURTLE_NUMBER = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
}


def _json_term(term: object) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def json(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``application/sparql-results+json`` for a SELECT result."""
    bindings = [{v: _json_term(t) for v, t in row.items() if t is not None} for row in rows]
    doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return _json.dumps(doc, ensure_ascii=False).encode("utf-8")


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
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def xml(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``application/sparql-results+xml`` for a SELECT result."""
    parts = [XML_HEAD, "<head>"]
    parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
    parts.append("</head><results>")
    for row in rows:
        parts.append("<result>")
        parts += [
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in row.items()
            if t is not None
        ]
        parts.append("</result>")
    parts.append("</results></sparql>\n")
    return "".join(parts).encode("utf-8")


def xml_boolean(value: bool) -> bytes:
    """``application/sparql-results+xml`` for an ASK result."""
    text = "true" if value else "false"
    return f"{XML_HEAD}<head/><boolean>{text}</boolean></sparql>\n".encode()


def _csv_field(term: object) -> str:
    if term is None:
        text = ""
    elif isinstance(term, BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, NamedNode | Literal):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``text/csv`` (SPARQL 1.1 CSV): lexical forms only, CRLF line ends."""
    lines = [",".join(_csv_field(v) for v in variables)]
    lines += [",".join(_csv_field(row.get(v)) for v in variables) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _tsv_term(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        value = term.value
        if term.datatype.value in TURTLE_NUMBER and _plain_number(term.datatype.value, value):
            return value
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        quoted = quoted.replace("\n", "\\n").replace("\r", "\\r") + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if term.datatype.value != XSD_STRING:
            return f"{quoted}^^<{term.datatype.value}>"
        return quoted
    return str(term)


def _plain_number(datatype: str, value: str) -> bool:
    """Whether Turtle's short form writes this number with the same datatype."""
    return bool(TURTLE_NUMBER[datatype].fullmatch(value))


def tsv(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``text/tab-separated-values`` (SPARQL 1.1 TSV): terms in Turtle syntax."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_tsv_term(row.get(v)) for v in variables) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")
