"""A real `dateline serve`: every request the documented limits allow reaches the app, and what the
server refuses itself comes in the app's error shape with its security headers."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import quote

import orjson
import pytest

from helpers import shared_index, start, stop
from web import create_app
from web.limits import longest_request_line

pytestmark = pytest.mark.slow  # starts real servers

BENGALI = "বাংলাদেশের রাজধানী ঢাকা "  # 3-byte characters: 9 bytes each once percent-encoded


@pytest.fixture(scope="module")
def server():
    process, port = start("--workers", "1", "--threads", "2", "--index", str(shared_index()))
    yield int(port)
    assert stop(process) == 0


def request(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends bytes as they are (no client library tidying them) and reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def get(port: int, target: str, headers: str = "") -> tuple[int, dict[str, str], bytes]:
    return request(port, f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode())


def assert_security_headers(headers: dict[str, str]) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in headers["content-security-policy"]


def longest_query() -> str:
    text = (BENGALI * 100)[:1000]
    assert len(text) == create_app().config["MAX_QUERY_LENGTH"]
    return text


@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_the_longest_query_the_form_allows_is_answered(server, path):
    target = f"{path}?q={quote(longest_query())}&place={quote('ঢাকা' * 50)}"
    assert len(target) > 8190  # beyond anything gunicorn would take without being told
    status, headers, body = get(server, target)
    assert status == 200, body[:300]
    assert_security_headers(headers)


def test_a_request_line_longer_than_any_valid_request_is_a_414_in_the_json_shape(server):
    too_long = longest_request_line(create_app().config) + 10
    status, headers, body = get(server, "/api/search?q=" + "a" * too_long)
    assert status == 414
    assert orjson.loads(body)["error"]["status"] == 414
    assert_security_headers(headers)


def test_headers_too_large_are_refused_in_the_json_shape(server):
    status, headers, body = get(server, "/api/search?q=fire", headers=f"X-Big: {'b' * 20000}\r\n")
    assert status == 431
    error = orjson.loads(body)["error"]
    assert error["status"] == 431 and "headers" in error["message"]
    assert_security_headers(headers)
    assert headers["content-type"].startswith("application/json")


def test_a_malformed_request_line_is_a_400_in_the_json_shape(server):
    status, headers, body = request(server, b"GET /api/search?q=a b c HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400
    assert orjson.loads(body)["error"]["status"] == 400
    assert_security_headers(headers)


def test_a_malformed_header_is_a_400_in_the_error_shape(server):
    # gunicorn does not say which address the request was for: the answer is the JSON shape.
    status, headers, body = request(server, b"GET /?q=fire HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n")
    assert status == 400
    assert_security_headers(headers)
    assert orjson.loads(body)["error"]["status"] == 400
