"""``/dumps``: every file of the current release at a stable URL, and a listing of them.

Files are served with their media type, Content-Length, an ETag (their SHA-256), Last-Modified
(the release date), Content-Disposition, conditional GET, HEAD and ranges. A client that accepts
gzip gets the ``.gz`` twin with ``Content-Encoding: gzip``. Only names the release lists are
served, so no path can leave the release folder.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template_string,
    request,
    send_file,
    url_for,
)

from .. import formats
from .. import release as rel
from .service import served_release
from .site import wants

bp = Blueprint("dumps", __name__)
#: The listing's formats.
LISTINGS = (formats.HTML, formats.JSON)
LISTING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>psfkg dumps: release {{ name }}</title></head>
<body><main><h1>Dumps of release {{ name }}</h1>
<p>Check a download with <code>sha256sum -c --ignore-missing SHA256SUMS</code> (it also
lists the release's source pages, named queries, catalogue and VoID, served elsewhere).
As JSON: <a href="{{ json_url }}">{{ json_url }}</a></p>
<table><thead><tr>
<th scope="col">file</th><th scope="col">bytes</th><th scope="col">SHA-256</th>
</tr></thead>
<tbody>{% for f in files %}<tr><td><a href="{{ f.url }}">{{ f.name }}</a></td><td>{{ f.bytes }}</td>
<td><code>{{ f.sha256 }}</code></td></tr>{% endfor %}</tbody></table></main></body></html>
"""


@bp.route("/dumps")
@bp.route("/dumps.json")
def listing() -> Response:
    """The release's files with sizes and checksums, as HTML or JSON."""
    published = served_release()
    files = [
        {"name": name, "url": url_for("dumps.dump", name=name, _external=True), **info}
        for name, info in published.manifest["files"].items()
    ]
    if request.path.endswith(".json") or wants(LISTINGS) is formats.JSON:
        response = jsonify(
            {
                "release": published.name,
                "version": published.manifest["version"],
                "date": published.manifest["date"],
                "files": files,
            }
        )
    else:
        html = render_template_string(
            LISTING,
            name=published.name,
            files=files,
            json_url=request.url_root + "dumps.json",
        )
        response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/dumps/<name>")
def dump(name: str) -> Response:
    """One file of the release."""
    published = served_release()
    files = published.manifest["files"]
    if name not in files and name not in (rel.MANIFEST, rel.CHECKSUMS):
        abort(404, f"no file {name!r} in release {published.name}")
    served, encoding = name, None
    if f"{name}.gz" in files and request.accept_encodings.quality("gzip") > 0:
        served, encoding = f"{name}.gz", "gzip"
    # SHA256SUMS is what the release was checked against; every other file is one it lists.
    path = published.path / served if served == rel.CHECKSUMS else published.file(served)
    if path is None:
        abort(404, f"no file {name!r} in release {published.name}")
    fmt = formats.TEXT if name == rel.CHECKSUMS else formats.from_suffix(name.rpartition(".")[2])
    modified = datetime.fromisoformat(published.manifest["date"].replace("Z", "+00:00"))
    response = send_file(
        path,
        mimetype=fmt.media_type if fmt else "application/octet-stream",
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=files.get(served, {}).get("sha256", published.etag),
        last_modified=modified,
        max_age=3600,
    )
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    return response
