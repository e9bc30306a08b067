"""The worker's request reads at most the app's bound of request line, whatever gunicorn's own limit says
(a real server is in test_web_serve_limits.py; here the reading itself is watched)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gunicorn.config import Config
from gunicorn.http.errors import LimitRequestLine
from gunicorn.http.unreader import IterUnreader

from web.worker import BoundedRequest

CHUNK = 8192
LIMIT = 100_000


def config(limit_request_line: int) -> Config:
    cfg = Config()
    cfg.set("limit_request_line", limit_request_line)
    cfg.set("http_parser", "python")
    return cfg


class Counted:
    """A request line far past the bound (16 times), in chunks, counting how many were read."""

    def __init__(self) -> None:
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b"GET /api/search?q="
        for _ in range(16 * LIMIT // CHUNK):
            self.read += 1
            yield b"a" * CHUNK


def test_a_long_request_line_is_refused_once_past_the_bound():
    source = Counted()
    with pytest.raises(LimitRequestLine):
        BoundedRequest(config(0), IterUnreader(source), ("127.0.0.1", 1), line_limit=LIMIT)
    assert source.read * CHUNK <= LIMIT + CHUNK  # stopped within one chunk of the bound


def test_a_request_line_at_the_bound_is_read():
    target = "/api/search?q=" + "a" * (LIMIT - len("GET /api/search?q= HTTP/1.1"))
    raw = f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    request = BoundedRequest(config(0), IterUnreader([raw]), ("127.0.0.1", 1), line_limit=LIMIT)
    assert request.uri == target


def test_gunicorns_own_finite_limit_still_applies():
    raw = b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    with pytest.raises(LimitRequestLine):
        BoundedRequest(config(4094), IterUnreader([raw]), ("127.0.0.1", 1), line_limit=LIMIT)
