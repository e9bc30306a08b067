"""`dateline serve` as users run it: a real server process (gunicorn, several workers) over a real index."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from helpers import QUAYSIDE_COUNT, alive, children, dateline_command, get, shared_index, start, stop
from search.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # starts real gunicorn servers


@pytest.fixture(scope="module")
def index_dir() -> Path:
    return shared_index()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
def test_two_workers_answer_concurrent_requests_and_sigterm_stops_them_all(index_dir):
    process, port = start("--workers", "2", "--threads", "2", "--index", str(index_dir))
    try:
        deadline = time.monotonic() + 60  # the workers are forked after the banner is printed
        while len(workers := children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2, workers

        def search(i: int) -> tuple[int, bytes]:
            return get(port, f"/api/search?q=quayside&page={1 + i % 4}")

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(search, range(40)))
        assert [status for status, _ in answers] == [200] * 40
        assert {orjson.loads(body)["total"] for _, body in answers} == {QUAYSIDE_COUNT}

        status, page = get(port, "/?q=quayside&place=Rotterdam")
        assert status == 200 and b"Rotterdam" in page
        status, article = get(port, "/api/articles/web-test-00")
        assert status == 200 and orjson.loads(article)["id"] == "web-test-00"
        assert get(port, "/articles/no-such-article")[0] == 404
    finally:
        code = stop(process)
    assert code == 0
    assert not any(alive(pid) for pid in workers), "a worker outlived the server"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()


def test_ctrl_c_stops_the_server_cleanly(index_dir):
    process, port = start("--workers", "1", "--index", str(index_dir))
    try:
        assert get(port, "/api/search?q=quayside")[0] == 200
    finally:
        code = stop(process, signal.SIGINT)
    assert code == 0
    assert "Traceback" not in process.stdout.read()


@pytest.mark.parametrize("option", ["--workers", "--threads"])
def test_bad_worker_counts_are_one_line(option):
    result = subprocess.run(
        [*dateline_command(), "serve", "--port", "0", option, "0"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message and option in message and "Traceback" not in message


def test_a_busy_port_is_one_line(index_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*dateline_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--index", str(index_dir)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=60,
        )
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message and f"127.0.0.1:{port}" in message and "Traceback" not in message


def test_a_second_server_on_the_same_port_is_refused(index_dir):
    # Workers share their port with SO_REUSEPORT; that must never let a second server in beside them.
    first, port = start("--workers", "2", "--index", str(index_dir))
    try:
        result = subprocess.run(
            [*dateline_command(), "serve", "--host", "127.0.0.1", "--port", port, "--index", str(index_dir)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=60,
        )
        assert result.returncode == 1
        message = result.stderr.strip()
        assert "\n" not in message and f"127.0.0.1:{port}" in message
        assert get(port, "/api/search?q=quayside")[0] == 200  # the first one still serves
    finally:
        assert stop(first) == 0
