"""A real `dateline serve` under load: a graceful restart (SIGHUP) or worker recycling (--max-requests)
fails no request; a worker killed with SIGKILL loses only the requests it was serving."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest

from helpers import children, shared_index, start, stop

pytestmark = pytest.mark.slow  # starts real servers

QUERIES = ["quayside", "fire", "dock strike", "rotterdam", "london", "cargo", "grain", "shipping"]
RETRIED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class Load:
    """Clients with keep-alive connections, each with one request at a time, as fast as answers come."""

    port: int
    clients: int = 8
    done: int = 0
    failed: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]

    def _request(self, connection: http.client.HTTPConnection, path: str) -> int:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status

    def _client(self, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        reused = False
        i = 0
        while not self.stopping.is_set():
            path = f"/api/search?q={QUERIES[(number + i) % len(QUERIES)].replace(' ', '+')}&page={1 + i % 3}"
            i += 1
            try:
                status = self._request(connection, path)
                reused = True
            except RETRIED as error:
                # A keep-alive connection the server closed between requests: HTTP clients send the
                # request again on a new connection (RFC 9110 9.2.2); a new connection gets no retry.
                connection.close()
                if not reused:
                    self._fail(f"{path}: {type(error).__name__} on a new connection")
                    continue
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                reused = False
                try:
                    status = self._request(connection, path)
                    reused = True
                except (http.client.HTTPException, OSError) as again:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    self._fail(f"{path}: {type(again).__name__} after a retry")
                    continue
            except (http.client.HTTPException, OSError) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                reused = False
                self._fail(f"{path}: {type(error).__name__}: {error}")
                continue
            if status != 200:
                self._fail(f"{path}: HTTP {status}")
            with self.lock:
                self.done += 1
        connection.close()

    def _fail(self, message: str) -> None:
        with self.lock:
            self.failed.append(message)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for(self, requests: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        target = self.done + requests
        while self.done < target:
            assert time.monotonic() < deadline, f"only {self.done} requests answered"
            time.sleep(0.05)


def workers_of(pid: int, count: int, other_than: set[int] = frozenset(), timeout: float = 60) -> set[int]:
    deadline = time.monotonic() + timeout
    while len(found := children(pid) - set(other_than)) < count:
        assert time.monotonic() < deadline, f"workers: {found}"
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("restarts", [3])
def test_graceful_restarts_under_load_fail_no_request(restarts):
    process, port = start("--workers", "2", "--threads", "2", "--index", str(shared_index()))
    try:
        old = workers_of(process.pid, 2)
        with Load(int(port)) as load:
            load.wait_for(100)
            for _ in range(restarts):
                process.send_signal(signal.SIGHUP)
                new = workers_of(process.pid, 2, other_than=old)
                deadline = time.monotonic() + 60
                while children(process.pid) & old and time.monotonic() < deadline:
                    time.sleep(0.05)  # the old workers finish what they hold, then leave
                old = new
                load.wait_for(100)
        assert load.failed == [], load.failed[:5]
        assert load.done >= 100 * (restarts + 1)
    finally:
        assert stop(process) == 0


def test_worker_recycling_under_load_fails_no_request():
    process, port = start("--workers", "2", "--threads", "2", "--max-requests", "40", "--index", str(shared_index()))
    try:
        first = workers_of(process.pid, 2)
        with Load(int(port)) as load:
            load.wait_for(600)  # every worker replaced several times over
        assert not (children(process.pid) & first), "no worker was recycled"
        assert load.failed == [], load.failed[:5]
    finally:
        assert stop(process) == 0


def test_a_killed_worker_loses_only_the_requests_it_was_serving():
    threads = 2
    process, port = start("--workers", "2", "--threads", str(threads), "--index", str(shared_index()))
    try:
        workers = workers_of(process.pid, 2)
        with Load(int(port)) as load:
            load.wait_for(100)
            victim = sorted(workers)[0]
            os.kill(victim, signal.SIGKILL)
            workers_of(process.pid, 2, other_than={victim})  # the master replaces it
            load.wait_for(200)
        # A worker serves at most `threads` requests at once; every other request is answered.
        assert len(load.failed) <= threads, load.failed
    finally:
        assert stop(process) == 0
