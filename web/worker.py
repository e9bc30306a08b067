"""dateline serve's gunicorn worker: gthread, with errors in the app's shape and balanced connections.

gunicorn answers a request it cannot parse with a bare HTML page of its own, without the security
headers. The worker class here writes those answers like the app's: the JSON error shape (or the
HTML error page for a page address) and the same security headers.

All workers accept from one socket, and a keep-alive connection stays with the worker that accepted
it: 32 clients connecting at once could all land on the worker that woke first and stay there.
Closing a connection after REQUESTS_PER_CONNECTION answers makes its client connect again, and the
least busy worker, first to accept, takes it: the load spreads within a few seconds.

A worker accepts nothing until it has opened the index: a worker started by a restart, by
recycling or to replace one that died leaves the connections to the others meanwhile, instead of
making them wait for its open.

The documented limits need a longer request line than gunicorn's finite cap (8,190 bytes), so serve.py
sets gunicorn's limit to 0, which gunicorn takes as "no limit": its pure-Python parser would read a
request line of any length into memory. The worker reads with the app's own bound instead
(web.limits.longest_request_line) and refuses a longer line with a 414 as soon as it has read past it.
"""

from __future__ import annotations

import logging
import time
from functools import cached_property, partial
from http import HTTPStatus
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import TConn, ThreadWorker

from web.limits import longest_request_line

log = logging.getLogger("dateline.web")

REQUESTS_PER_CONNECTION = 100
# A worker whose index takes longer than this to open starts accepting anyway (and its requests wait).
OPEN_BEFORE_ACCEPTING_SECONDS = 60.0

# The status gunicorn's parse errors stand for; any other parse error is a 400.
_STATUS = {
    http_errors.LimitRequestLine: 414,
    http_errors.LimitRequestHeaders: 431,
    http_errors.UnsupportedTransferCoding: 501,
    http_errors.ExpectationFailed: 417,
    http_errors.ForbiddenProxyRequest: 403,
}


def status_of(error: BaseException) -> int:
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    if isinstance(error, http_errors.ConfigurationProblem):
        return 500
    return 400 if isinstance(error, http_errors.ParseException) else 500


def message_of(status: int, error: BaseException) -> str:
    if status == 414:
        return "The request line is longer than this server accepts."
    if status == 431:
        return "The request's headers are larger than this server accepts."
    if status >= 500:
        return "Something went wrong on our side; the error has been logged."
    return f"The request is malformed: {error}"


def error_bytes(app: Any, status: int, message: str, path: str | None) -> bytes:
    """A complete HTTP response, made by the app's own error_response (JSON or page) with its headers."""
    from web.app import SECURITY_HEADERS
    from web.errors import error_response

    # An unknown address (the request line could not be read) gets JSON: the shape any client reads.
    with app.test_request_context(path or "/api/"):
        response = error_response(status, message)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    body = response.get_data()
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Connection: close", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in response.headers.items() if name.lower() != "content-length"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# How gunicorn is entered here was checked against gunicorn 27.0.1 (requirements.lock): Request.__init__
# sets limit_request_line (0 when unlimited) and then parses; its pure-Python parser passes
# limit_request_line to read_line, which stops as soon as the bytes read pass it; TConn.init makes the
# connection's RequestParser, whose mesg_class makes each request. serve.py pins the pure-Python parser:
# with gunicorn_h1c installed gunicorn would use that instead, whose "unlimited" is 1 MB (more than any
# valid request) and which answers a line still unfinished at its bound with a 431, not a 414.
# tests/test_web_serve_limits.py fails if any of this changes.


class BoundedRequest(Request):
    """gunicorn's HTTP/1 request, reading at most line_limit bytes of request line where gunicorn's own
    limit is 0 ("no limit"); a longer line raises gunicorn's LimitRequestLine (a 414)."""

    limit_request_line: int  # gunicorn's, set before parse()

    def __init__(self, cfg: Any, unreader: Any, peer_addr: Any, req_number: int = 1, *, line_limit: int) -> None:
        self.line_limit = line_limit
        super().__init__(cfg, unreader, peer_addr, req_number)

    def parse(self, unreader: Any) -> Any:
        if self.limit_request_line == 0:
            self.limit_request_line = self.line_limit  # read_line stops here
        return super().parse(unreader)


class BoundedConnection(TConn):
    """A connection whose HTTP/1 requests are BoundedRequests (line_limit is set on it by the worker)."""

    line_limit: int

    def init(self) -> None:
        super().init()  # makes the parser on the first call
        if isinstance(self.parser, RequestParser) and self.parser.mesg_class is Request:
            self.parser.mesg_class = partial(BoundedRequest, line_limit=self.line_limit)


class DatelineWorker(ThreadWorker):
    """gunicorn's threaded worker, answering what it refuses in the app's error shape."""

    @cached_property
    def request_line_limit(self) -> int:
        return longest_request_line(self.wsgi.config)  # the app is loaded by then

    def enqueue_req(self, conn: Any) -> None:
        # gunicorn's accept makes a TConn (ThreadWorker has no hook to make another kind); it becomes
        # a BoundedConnection here, before anything is read from it.
        if type(conn) is TConn:
            conn.__class__ = BoundedConnection
            conn.line_limit = self.request_line_limit
        super().enqueue_req(conn)

    def run(self) -> None:
        holder = self.wsgi.extensions["dateline.searcher"]
        deadline = time.monotonic() + OPEN_BEFORE_ACCEPTING_SECONDS
        while self.alive and time.monotonic() < deadline and not holder.wait_until_open(0.1):
            self.notify()  # the master replaces a worker that stays silent
        super().run()

    def handle_request(self, req: Any, conn: Any) -> bool:
        served = getattr(conn, "dateline_served", 0) + 1
        conn.dateline_served = served
        if served >= REQUESTS_PER_CONNECTION:
            req.must_close = True  # answered with "Connection: close"; the client reconnects
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status = status_of(exc)
        if status >= 500:
            log.error("error handling a request", exc_info=exc)
        else:
            log.warning("refused a request from %s: %s", (addr or ("",))[0], exc)
        path = getattr(req, "path", None) or getattr(getattr(exc, "req", None), "path", None)
        try:
            client.sendall(error_bytes(self.wsgi, status, message_of(status, exc), path))
        except Exception:
            log.debug("could not send the error response", exc_info=True)
