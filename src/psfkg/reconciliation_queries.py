"""The documents a client sends a reconciliation service, read as the 0.2 JSON Schemas say
(``reconciliation-query-batch.json``, ``data-extension-query.json``), each refusal a
:class:`~psfkg.errors.QueryRejected` naming the query and the field: 400 for a malformed
document, 413 for a batch larger than the service takes.

Beyond the schema, as the specification's text says, ``limit`` must be a whole number from 1
(and at most the service's); ``type_strict`` is read and has no effect (types always restrict).

>>> batch('{"q0": {"query": "University of Turku", "limit": 3}}', most=10, most_limit=10)
{'q0': Query(text='University of Turku', types=(), limit=3, conditions=())}
>>> batch('{"q0": {"limit": 1}}', most=10, most_limit=10)
Traceback (most recent call last):
psfkg.errors.QueryRejected: queries: q0 needs a query or at least one property condition
"""

from __future__ import annotations

import json
from typing import Any

from .errors import QueryRejected
from .reconciliation import Condition, Query

#: The fields a reconciliation query may have.
FIELDS = ("query", "type", "limit", "properties", "type_strict")
STRICTNESS = ("any", "should", "all")
#: Candidates a query gets when it does not say.
DEFAULT_LIMIT = 10
#: Property values one query may give, in all (each is looked up).
MOST_VALUES = 20


def document(text: str, name: str) -> Any:
    """A JSON document from a form field or parameter.

    :raises QueryRejected: when it is not JSON, or nests too deep to read.
    """

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    try:
        found = json.loads(text, parse_constant=refuse)
        json.dumps(found, ensure_ascii=False).encode()  # what is read must be writable back
    except UnicodeEncodeError:
        raise QueryRejected(
            f"{name} holds a lone surrogate (an escape from \\ud800 to \\udfff), not text"
        ) from None
    except ValueError as exc:
        raise QueryRejected(f"{name} is not JSON: {exc}") from None
    except RecursionError:
        raise QueryRejected(f"{name} nests too deep to read") from None
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: Any, where: str) -> str:
    """A property value: text, a number or a boolean, or an entity (``{"id", "name"}``)."""
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        if not isinstance(value.get("id"), str):
            raise QueryRejected(f"queries: {where} is an entity without an id string")
        if "name" in value and not isinstance(value["name"], str):
            raise QueryRejected(f"queries: {where}.name must be a string")
        return str(value["id"])
    raise QueryRejected(f"queries: {where} must be a string, number, boolean or entity")


def _conditions(given: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(given, list):
        raise QueryRejected(f"queries: {where} must be an array of {{pid, v}}")
    found = []
    for n, item in enumerate(given):
        at = f"{where}[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) or "v" not in item:
            raise QueryRejected(f"queries: {at} must be an object with a pid string and a v")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        found.append(Condition(item["pid"], tuple(_value(v, f"{at}.v") for v in values)))
    return tuple(dict.fromkeys(found))  # the same condition twice counts once


def _query(key: str, given: Any, most_limit: int) -> Query:
    if not isinstance(given, dict):
        raise QueryRejected(f"queries: {key} must be an object")
    unknown = [f for f in given if f not in FIELDS]
    if unknown:
        raise QueryRejected(
            f"queries: {key} has an unknown field {unknown[0]!r} (a query has {', '.join(FIELDS)})"
        )
    text = given.get("query", "")
    if not isinstance(text, str):
        raise QueryRejected(f"queries: {key}.query must be a string")
    types = given.get("type", [])
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise QueryRejected(f"queries: {key}.type must be a string or an array of strings")
    limit = given.get("limit", DEFAULT_LIMIT)
    if not _is_number(limit) or not 1 <= limit <= most_limit or limit != int(limit):
        raise QueryRejected(
            f"queries: {key}.limit must be a whole number from 1 to {most_limit}, not {limit!r}"
        )
    if given.get("type_strict", "any") not in STRICTNESS:
        raise QueryRejected(f"queries: {key}.type_strict must be one of {', '.join(STRICTNESS)}")
    conditions = _conditions(given.get("properties", []), f"{key}.properties")
    if sum(len(c.values) for c in conditions) > MOST_VALUES:
        raise QueryRejected(f"queries: {key}.properties give more than {MOST_VALUES} values")
    if "query" not in given and not conditions:
        raise QueryRejected(f"queries: {key} needs a query or at least one property condition")
    return Query(text, tuple(types), int(limit), conditions)


def batch(text: str, *, most: int, most_limit: int) -> dict[str, Query]:
    """A reconciliation query batch, read from its JSON text.

    :param most: queries the batch may hold (413 past them).
    :param most_limit: the highest ``limit`` a query may ask for.
    :raises QueryRejected: naming what is wrong.
    """
    found = document(text, "queries")
    if not isinstance(found, dict):
        raise QueryRejected("queries must be a JSON object of queries, keyed by their ids")
    if len(found) > most:
        raise QueryRejected(f"queries holds {len(found)} queries; this service takes {most}", 413)
    return {str(key): _query(str(key), value, most_limit) for key, value in found.items()}


def extension(text: str, *, most: int) -> tuple[list[str], list[str]]:
    """A data extension query, read from its JSON text: the entity ids, and the property ids.

    :param most: ids (and properties) it may name (413 past them).
    :raises QueryRejected: naming what is wrong.
    """
    found = document(text, "extend")
    if not isinstance(found, dict) or "ids" not in found or "properties" not in found:
        raise QueryRejected("extend must be a JSON object with ids and properties")
    ids, properties = found["ids"], found["properties"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise QueryRejected("extend: ids must be an array of strings")
    if not isinstance(properties, list) or not all(
        isinstance(p, dict) and isinstance(p.get("id"), str) for p in properties
    ):
        raise QueryRejected("extend: properties must be an array of objects with an id string")
    for n, p in enumerate(properties):
        if "settings" in p and not isinstance(p["settings"], dict):
            raise QueryRejected(f"extend: properties[{n}].settings must be an object")
    if len(ids) > most or len(properties) > most:
        raise QueryRejected(f"extend names more than {most} ids or properties", 413)
    return list(dict.fromkeys(ids)), list(dict.fromkeys(p["id"] for p in properties))
