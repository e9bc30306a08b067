"""A real `dateline serve`: every request the documented limits allow reaches the app, and what the
server refuses itself comes in the app's error shape with its security headers."""

from __future__ import annotations

import http.client
import socket
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from helpers import children, shared_index, start, stop
from web import create_app
from web.limits import HEADER_FIELDS, longest_request_line

pytestmark = pytest.mark.slow  # starts real servers

BENGALI = "বাংলাদেশের রাজধানী ঢাকা "  # 3-byte characters: 9 bytes each once percent-encoded


@pytest.fixture(scope="module")
def serving():
    process, port = start("--workers", "1", "--threads", "2", "--index", str(shared_index()))
    yield process, int(port)
    assert stop(process) == 0


@pytest.fixture(scope="module")
def server(serving):
    return serving[1]


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


def request_line_of(length: int) -> str:
    """A search address whose request line ("GET ... HTTP/1.1") is `length` bytes long."""
    start = "/api/search?q="
    return start + "a" * (length - len(f"GET {start} HTTP/1.1"))


def test_a_request_line_as_long_as_the_limits_allow_reaches_the_app(server):
    status, headers, body = get(server, request_line_of(longest_request_line(create_app().config)))
    assert status == 400  # the app's answer: the query is longer than MAX_QUERY_LENGTH
    assert "characters long; the limit is" in orjson.loads(body)["error"]["message"]
    assert_security_headers(headers)


def test_one_byte_more_is_refused_by_the_server_in_the_json_shape(server):
    status, headers, body = get(server, request_line_of(longest_request_line(create_app().config) + 1))
    assert status == 414
    error = orjson.loads(body)["error"]
    assert error["status"] == 414 and error["message"] == "The request line is longer than this server accepts."
    assert_security_headers(headers)


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def send_line_then_read(port: int, line_bytes: int) -> tuple[int, dict[str, str], bytes]:
    """Sends a request line of line_bytes (in 64 KB pieces) and reads the answer, which may come (and the
    connection close) before the line has all been sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        piece = b"a" * 65536
        try:
            sock.sendall(b"GET /api/search?q=")
            for _ in range(line_bytes // len(piece)):
                sock.sendall(piece)
            sock.sendall(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end of the line: the answer is already on its way
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_a_huge_request_line_is_refused_while_read_without_growing_the_worker(serving):
    process, port = serving
    assert get(port, "/api/search?q=fire")[0] == 200  # the worker is up and has served
    (worker,) = children(process.pid)
    before = memory_kb(worker, "VmRSS")
    Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM (peak RSS) starts again from VmRSS
    line_bytes = 32 * 2**20
    status, headers, body = send_line_then_read(port, line_bytes)
    assert status == 414
    assert orjson.loads(body)["error"]["status"] == 414
    assert_security_headers(headers)
    grown = memory_kb(worker, "VmHWM") - before
    # Reading the whole line would hold it at least twice (gunicorn copies its buffer as it reads).
    assert grown * 1024 < line_bytes // 4, f"the worker grew by {grown:,} KB reading a {line_bytes:,}-byte line"


def test_headers_too_large_are_refused_in_the_json_shape(server):
    status, headers, body = get(server, "/api/search?q=fire", headers=f"X-Big: {'b' * 20000}\r\n")
    assert status == 431
    error = orjson.loads(body)["error"]
    assert error["status"] == 431 and "headers" in error["message"]
    assert_security_headers(headers)
    assert headers["content-type"].startswith("application/json")


def test_too_many_headers_are_refused_in_the_json_shape(server):
    many = "".join(f"X-H{i}: {i}\r\n" for i in range(HEADER_FIELDS + 1))
    status, headers, body = get(server, "/api/search?q=fire", headers=many)
    assert status == 431
    assert orjson.loads(body)["error"]["status"] == 431
    assert_security_headers(headers)


def test_a_request_with_a_browsers_headers_is_answered(server):
    browser = (
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Language: bn-BD,bn;q=0.9,en;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n"
        f"Cookie: {'c' * 4000}\r\nReferer: http://x/?q={'r' * 2000}\r\n"
    )
    status, headers, _ = get(server, "/api/search?q=fire", headers=browser)
    assert status == 200
    assert_security_headers(headers)


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
