"""The Flask app: ``create_app()`` and one blueprint per HTTP concern.

- ``sparql``: the SPARQL 1.1 Protocol endpoint and its service description, at ``/sparql``;
- ``dumps``: the files of the current release, at ``/dumps``;
- ``releases``: every release on disk and its files, immutable, at ``/releases``;
- ``resources``: every IRI the graph mints, as HTML or RDF (``/id/``, ``/def``, ``/graph/``...);
- ``pages``: the landing page, charts, the validation report;
- ``browse``: the lists of projects and organisations (what they hold: ``listing``) with facets,
  sorting, paging, CSV and JSON;
- ``queries``: the named queries and the query page;
- ``editor``: what the query page's editor completes from (``/query/terms.json``);
- ``portal``: the DCAT-AP catalogue, VoID, ``sitemap.xml`` and ``robots.txt``;
- ``memento``: records as past releases held them (RFC 7089), their TimeMaps, 410 Gone;
- ``search``: search by name (``/search``, ``.json``, suggestions, OpenSearch);
- ``reconcile``: the reconciliation service (W3C Reconciliation Service API 0.2), at
  ``/reconcile``, for OpenRefine and other clients that match their tables to psfkg's IRIs;
- ``traffic``: a JSON log line per request, ``/-/stats``, and the rate limit per client;
- ``changes``: what changed in each release (``/releases/<id>/changes``, its RDF Patch) and
  the Atom feed of releases, ``/releases.atom``;
- ``meta``: health and version under the reserved ``/-/`` prefix, and the error pages.

Around them, :class:`~psfkg.web.hosts.Hosts` decides the URL every link is made under.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from ..config import Settings
from . import (
    browse,
    changes,
    dumps,
    editor,
    memento,
    meta,
    pages,
    portal,
    queries,
    reconcile,
    releases,
    resources,
    search,
    site,
    sparql,
    traffic,
)
from .hosts import Hosts
from .service import EXTENSION, Releases


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    :param test_config: optional ``SETTINGS`` (a :class:`~psfkg.config.Settings`) and ``FILES``
        (RDF files to serve instead of the PSF release).
    :raises ReleaseError: when there is no usable release to serve.
    """
    config = dict(test_config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings.from_env()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False, **config)
    app.extensions[EXTENSION] = Releases(settings, config.get("FILES", ()))
    app.register_blueprint(sparql.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(releases.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(queries.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(traffic.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(changes.bp)
    app.register_blueprint(memento.bp)
    site.install(app)
    app.wsgi_app = Hosts(app.wsgi_app, settings)  # type: ignore[method-assign]
    return app
