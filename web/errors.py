"""One error shape for every error, made in one place.

JSON: {"error": {"status": 400, "title": "Bad Request", "message": "...", "parameter": "page"}}
(`parameter` is null when the error is not about one parameter). HTML pages get a friendly
page with the same status code and message.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import orjson
from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from search.results import BadRequest

log = logging.getLogger("dateline.web")

NO_INDEX_MESSAGE = "No index yet: run `dateline reindex` to build one, then reload this page."


class IndexUnavailable(Exception):
    """The index folder holds no index (yet); answered with 503 and what to do."""

    def __init__(self, index_dir: str, reason: str = "") -> None:
        super().__init__(reason or f"no index in {index_dir}")
        self.index_dir = index_dir
        self.reason = reason


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path == "/api" or path.endswith(".json")


def error_body(status: int, message: str, parameter: str | None = None) -> dict:
    return {"error": {"status": status, "title": HTTPStatus(status).phrase, "message": message, "parameter": parameter}}


def error_response(
    status: int, message: str, parameter: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The response for any error, as JSON or as a page depending on what was asked for."""
    if wants_json():
        response = Response(
            orjson.dumps(error_body(status, message, parameter)), status=status, mimetype="application/json"
        )
    else:
        html = render_template(
            "error.html", status=status, title=HTTPStatus(status).phrase, message=message, parameter=parameter
        )
        response = Response(html, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


ENGINE_TO_PARAMETER = {"date_from": "from", "date_to": "to"}

_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest) -> Response:
        # The engine names SearchRequest fields; the client knows the query parameters.
        parameter = ENGINE_TO_PARAMETER.get(error.parameter or "", error.parameter)
        return error_response(400, str(error), parameter)

    @app.errorhandler(IndexUnavailable)
    def no_index(error: IndexUnavailable) -> Response:
        log.warning("index unavailable: %s", error)
        return error_response(503, NO_INDEX_MESSAGE, headers={"Retry-After": "30"})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        # A description given where the error was raised says more than the generic one.
        given = error.description if error.description != type(error).description else None
        message = given or _MESSAGES.get(status) or error.description or HTTPStatus(status).phrase
        if status == 404 and wants_json() and not given:
            message = "There is no API endpoint at this address; see /api/openapi.json."
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return error_response(status, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # Logged with its traceback for us; the client gets the shape and no internals.
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "Something went wrong on our side; the error has been logged.")
