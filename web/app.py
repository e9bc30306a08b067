"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

from web import config as web_config
from web.article_urls import ArticleIdConverter, article_url
from web.errors import error_response, register_error_handlers
from web.formatting import register_filters
from web.index_access import SearcherHolder
from web.limits import longest_request_line

# No inline scripts or styles anywhere: everything the page needs is served from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """The web app; settings: built-in defaults < DATELINE_* environment variables < overrides."""
    app = Flask(__name__)
    app.config.update(web_config.resolve(overrides))
    app.json.sort_keys = False  # type: ignore[attr-defined]

    holder = app.config.get("SEARCHER_HOLDER") or SearcherHolder(
        app.config["ENGINE"] or app.config["INDEX_DIR"],
        refresh_interval=float(app.config["REFRESH_INTERVAL"]),
        cache_size=int(app.config["CACHE_SIZE"]),
        cache_bytes=int(app.config["CACHE_MB"] * 1_000_000),
        background=bool(app.config["REFRESH_IN_BACKGROUND"]),
        limits=web_config.limits(app.config),
        **_cluster_access(app.config),
    )
    app.extensions["dateline.searcher"] = holder

    from web.exports import bp as exports_bp
    from web.views import bp

    app.url_map.converters["article_id"] = ArticleIdConverter
    app.jinja_env.globals["article_url"] = article_url
    from web.entities import bp as entities_bp

    app.register_blueprint(bp)
    app.register_blueprint(entities_bp)
    app.register_blueprint(exports_bp)
    register_error_handlers(app)
    register_filters(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    longest = longest_request_line(app.config)

    @app.before_request
    def request_line_within_limits() -> Response | None:
        # dateline serve's worker reads no longer request line than this (web/worker.py); other servers
        # (a WSGI test client, a development server) may, and the app refuses it here, in the one error shape.
        line = request.environ.get("RAW_URI") or request.full_path
        if len(line) > longest:
            return error_response(
                414, f"The address is {len(line):,} bytes long; no valid request needs more than {longest:,}."
            )
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if not logging.getLogger("dateline.web").handlers and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _cluster_access(config: Mapping[str, Any]) -> dict[str, Any]:
    """With ENGINE (--engine FILE, DATELINE_ENGINE) the search cluster is opened instead of the index folder."""
    if not config.get("ENGINE"):
        return {}
    from search.cluster.open import cluster_opener

    opener, version = cluster_opener(config["ENGINE"], web_config.limits(config))
    return {"opener": opener, "version": version}
