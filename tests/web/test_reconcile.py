"""The reconciliation service through the real server (gunicorn on 127.0.0.1), as OpenRefine
uses it: every document it sends validates against the 0.2 JSON Schemas, every valid example
query is answered and every invalid one refused with 400, CORS and JSONP, and URLs that follow
the base IRI and the address the site is served at."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT7

from ..conftest import OTHER_BASE
from ..live import live_server

SPEC = Path(__file__).parents[1] / "reconciliation-api-0.2"
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (SPEC / "schemas").glob("*.json")}
#: The schemas by their ids, so that their references (``type.json``) resolve offline.
REGISTRY: Registry[Any] = Registry().with_resources(
    (s["$id"], DRAFT7.create_resource(s)) for s in SCHEMAS.values()
)


def check(document: Any, schema: str) -> None:
    """Fail unless ``document`` validates against the 0.2 schema ``schema``."""
    jsonschema.Draft7Validator(SCHEMAS[schema], registry=REGISTRY).validate(document)


@pytest.fixture(scope="module", params=["default-base", "other-base"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The real server on the PSF release, built under each base; yields (URL, base IRI)."""
    if request.param == "default-base":
        yield request.getfixturevalue("psf_server"), "https://w3id.org/psfkg/"
        return
    with live_server(releases=request.getfixturevalue("other_releases")) as url:
        yield url, OTHER_BASE


def fetch(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def get_json(url: str, data: dict[str, str] | None = None) -> Any:
    status, headers, body = fetch(url, data)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    return json.loads(body)


def reconcile(server: str, queries: dict[str, Any], *, post: bool = True) -> Any:
    if post:
        return get_json(f"{server}/reconcile", {"queries": json.dumps(queries)})
    return get_json(
        f"{server}/reconcile?" + urllib.parse.urlencode({"queries": json.dumps(queries)})
    )


def test_the_manifest(server: tuple[str, str]) -> None:
    url, base = server
    manifest = get_json(f"{url}/reconcile")
    check(manifest, "manifest")
    assert manifest["versions"] == ["0.2"] and manifest["identifierSpace"] == base + "id/"
    assert manifest["schemaSpace"] == base + "def#"
    assert manifest["view"]["url"] == f"{url}/id/{{{{id}}}}"
    assert manifest["preview"]["url"] == f"{url}/reconcile/preview?id={{{{id}}}}"
    for kind in ("entity", "type", "property"):
        assert manifest["suggest"][kind] == {
            "service_url": url,
            "service_path": f"/reconcile/suggest/{kind}",
        }
    assert manifest["extend"]["propose_properties"]["service_url"] == url
    assert [t["id"] for t in manifest["defaultTypes"]] == [
        "Organisation",
        "Project",
        "Country",
        "PriorityArea",
    ]


def test_the_manifest_follows_the_public_url(other_releases: Path) -> None:
    public = "https://reconcile.example.net/psf/"
    with live_server(releases=other_releases, env={"PSFKG_PUBLIC_URL": public}) as url:
        manifest = get_json(f"{url}/reconcile")
    assert manifest["view"]["url"] == public + "id/{{id}}"
    assert manifest["suggest"]["entity"]["service_url"] == public.rstrip("/")
    assert manifest["identifierSpace"] == OTHER_BASE + "id/"


def test_a_batch_by_post_and_by_get(server: tuple[str, str]) -> None:
    url, base = server
    queries = {
        "q0": {"query": "The Finnish Border Guard", "type": "Organisation", "limit": 3},
        "q1": {"query": "Univrsity of Trku", "type": base + "def#Organisation"},
        "q2": {
            "query": "Ministry of Interior",
            "properties": [{"pid": "country", "v": {"id": "country/latvia", "name": "Latvia"}}],
        },
        "q3": {"properties": [{"pid": "country", "v": "Iceland"}], "type": "Organisation"},
    }
    posted, got = reconcile(url, queries), reconcile(url, queries, post=False)
    assert posted == got
    check(posted, "reconciliation-result-batch")
    first = {k: v["result"][0] for k, v in posted.items()}
    assert first["q0"]["id"] == "organisation/finnish-border-guard" and first["q0"]["match"]
    assert len(posted["q0"]["result"]) <= 3
    assert first["q1"]["id"] == "organisation/university-of-turku" and not first["q1"]["match"]
    assert first["q2"]["id"] == "organisation/latvia-ministry-of-the-interior"
    assert first["q3"]["id"] == "organisation/icelandic-coast-guard"
    assert first["q0"]["type"] == [{"id": "Organisation", "name": "Organisation"}]
    view = get_json(f"{url}/reconcile")["view"]["url"]
    status, _, _ = fetch(
        view.replace("{{id}}", urllib.parse.quote(first["q0"]["id"], safe="")),
        headers={"Accept": "text/turtle"},
    )
    assert status == 200  # the id, encoded as a URI component in the view template, is the page


@pytest.mark.parametrize(
    "path",
    sorted((SPEC / "examples" / "reconciliation-query-batch" / "valid").glob("*.json")),
    ids=lambda p: p.name,
)
def test_every_valid_example_is_answered(server: tuple[str, str], path: Path) -> None:
    batch = json.loads(path.read_text())
    answered = reconcile(server[0], batch)
    check(answered, "reconciliation-result-batch")
    assert set(answered) == set(batch)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((SPEC / "examples" / "reconciliation-query-batch" / "invalid").glob("*.json")),
        *sorted((SPEC / "examples" / "data-extension-query" / "valid").glob("*.json")),
    ],
    ids=lambda p: p.parent.parent.name + "/" + p.name,
)
def test_every_invalid_example_is_refused_and_every_extension_answered(
    server: tuple[str, str], path: Path
) -> None:
    if "extension" in str(path):
        answered = get_json(f"{server[0]}/reconcile", {"extend": path.read_text()})
        check(answered, "data-extension-response")
        return
    status, headers, body = fetch(f"{server[0]}/reconcile", {"queries": path.read_text()})
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"].startswith("queries: q")


def test_data_extension(server: tuple[str, str]) -> None:
    url = server[0]
    extend = {
        "ids": ["organisation/university-of-turku", "project/jatoc"],
        "properties": [
            {"id": p}
            for p in (
                "country",
                "involvedIn",
                "priorityArea",
                "involvesOrganisation",
                "startYear",
                "endYear",
            )
        ],
    }
    answered = get_json(
        f"{url}/reconcile?" + urllib.parse.urlencode({"extend": json.dumps(extend)})
    )
    check(answered, "data-extension-response")
    turku, jatoc = (
        answered["rows"]["organisation/university-of-turku"],
        answered["rows"]["project/jatoc"],
    )
    assert turku["country"] == [{"id": "country/finland", "name": "Finland"}]
    assert {"id": "priority-area/regional-identity", "name": "Regional Identity"} in turku[
        "priorityArea"
    ]
    assert jatoc["startYear"] == [{"int": 2016}] and jatoc["endYear"] == [{"int": 2017}]
    assert {"id": "organisation/national-police-board", "name": "National Police Board"} in jatoc[
        "involvesOrganisation"
    ]
    for kind, some in (("Organisation", "country"), ("Project", "involvesOrganisation")):
        proposed = get_json(f"{url}/reconcile/properties?type={kind}&limit=2")
        check(proposed, "data-extension-property-proposal")
        assert proposed["limit"] == 2 and len(proposed["properties"]) == 2
        assert some in [
            p["id"] for p in get_json(f"{url}/reconcile/properties?type={kind}")["properties"]
        ]


def test_suggest(server: tuple[str, str]) -> None:
    url = server[0]
    entities = get_json(f"{url}/reconcile/suggest/entity?prefix=university%20of%20tur")
    check(entities, "suggest-entities-response")
    assert entities["result"][0]["id"] == "organisation/university-of-turku"
    later = get_json(f"{url}/reconcile/suggest/entity?prefix=university&cursor=2&type=Organisation")
    assert later["result"] and all(r["notable"][0]["id"] == "Organisation" for r in later["result"])
    types = get_json(f"{url}/reconcile/suggest/type?prefix=prio")
    check(types, "suggest-types-response")
    assert types["result"] == [{"id": "PriorityArea", "name": "Priority area"}]
    properties = get_json(f"{url}/reconcile/suggest/property?prefix=coun&type=Organisation")
    check(properties, "suggest-properties-response")
    assert [p["id"] for p in properties["result"]] == ["country"]


def test_the_preview_fits_a_frame(server: tuple[str, str]) -> None:
    url = server[0]
    manifest = get_json(f"{url}/reconcile")
    preview = manifest["preview"]["url"].replace(
        "{{id}}", urllib.parse.quote("organisation/university-of-turku", safe="")
    )
    status, headers, body = fetch(preview)
    html = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert (
        "X-Frame-Options" not in headers
        and "frame-ancestors *" in headers["Content-Security-Policy"]
    )
    assert (
        "University of Turku" in html
        and "Organisation, Finland" in html
        and "Baltic Sea Ports" in html
    )
    assert len(body) < 2000 and f"width: {manifest['preview']['width'] - 16}px" in html
    assert fetch(f"{url}/reconcile/preview?id=organisation/nobody")[0] == 404
    assert fetch(f"{url}/id/organisation/university-of-turku")[1]["X-Frame-Options"] == "DENY"


def test_jsonp_and_cors(server: tuple[str, str]) -> None:
    url = server[0]
    status, headers, body = fetch(f"{url}/reconcile?callback=jQuery123_456")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    text = body.decode()
    assert text.startswith("/**/jQuery123_456(") and text.endswith(");")
    check(json.loads(text[len("/**/jQuery123_456(") : -2]), "manifest")
    queries = urllib.parse.quote(json.dumps({"q": {"query": "Lund University"}}))
    status, _, body = fetch(f"{url}/reconcile?callback=cb&queries={queries}")
    assert status == 200 and body.decode().startswith("/**/cb({")
    status, _, body = fetch(f"{url}/reconcile?callback=alert(document.cookie)")
    assert status == 400 and b"callback must be a JavaScript name" in body
    request = urllib.request.Request(
        f"{url}/reconcile",
        method="OPTIONS",
        headers={"Origin": "https://openrefine.example", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"queries": "{not json"}, 400, "queries is not JSON"),
        ({"queries": "[" * 50_000 + "]" * 50_000}, 400, "nests too deep"),
        (
            {"queries": json.dumps({f"q{n}": {"query": "x"} for n in range(51)})},
            413,
            "holds 51 queries; this service takes 50",
        ),
        (
            {"queries": json.dumps({"q": {"query": "x", "limit": 10**9}})},
            400,
            "q.limit must be a whole number from 1 to 100",
        ),
        ({"queries": json.dumps({"q": {"query": "x", "props": []}})}, 400, "unknown field 'props'"),
        ({"queries": "{}", "extend": "{}"}, 400, "not both"),
        (
            {"extend": json.dumps({"ids": ["x"] * 51, "properties": [{"id": "country"}]})},
            413,
            "more than 50",
        ),
        ({"extend": json.dumps({"ids": "x", "properties": []})}, 400, "ids must be an array"),
    ],
)
def test_bad_input_is_a_clear_json_error(
    server: tuple[str, str], data: dict[str, str], status: int, says: str
) -> None:
    answered, headers, body = fetch(f"{server[0]}/reconcile", data)
    assert answered == status, body[:300]
    assert says in body.decode(), body[:300]
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path",
    [
        "/reconcile/suggest/entity?prefix=a&cursor=x",
        "/reconcile/suggest/type?cursor=100000",
        "/reconcile/properties",
        "/reconcile/properties?type=Project&limit=0",
    ],
)
def test_bad_parameters_are_400(server: tuple[str, str], path: str) -> None:
    status, headers, body = fetch(server[0] + path)
    assert status == 400 and headers["Content-Type"].startswith("application/json"), body


def test_many_clients_at_once(server: tuple[str, str]) -> None:
    url = server[0]
    batch = {
        f"q{n}": {"query": name, "limit": 5}
        for n, name in enumerate(
            [
                "Lund University",
                "Univrsity of Trku",
                "Norden",
                "ECPAT Norway",
                "x" * 5000,
                "the of and",
            ]
            * 8
        )
    }

    def one(_: int) -> int:
        return fetch(f"{url}/reconcile", {"queries": json.dumps(batch)})[0]

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(16))) == {200}
    long_name = json.dumps({"q": {"query": "Lund University " * 50_000}})  # 800 kB of words
    assert fetch(f"{url}/reconcile", {"queries": long_name})[0] == 200
