"""`dateline serve`: the web front end on gunicorn, a production WSGI server.

One master process binds the socket and forks `--workers` processes (default: one per CPU),
each running `--threads` threads. Python runs one thread at a time per process, so processes
are what use several cores; every worker opens its own Searcher after the fork (Whoosh's
open files must never be shared between processes) and keeps its own result cache. The
master restarts a worker that dies, and on SIGTERM or Ctrl-C lets the workers finish the
requests in hand, then exits 0. SIGHUP replaces the workers gracefully (new ones first), and
--max-requests recycles them; neither loses a request (tests/test_web_serve_restarts.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from pathlib import Path
from typing import Any

# Seconds a worker has to finish its requests after SIGTERM before it is killed.
GRACEFUL_SECONDS = 10
# A request still running after this long is stuck: its worker is replaced.
WORKER_TIMEOUT_SECONDS = 120
# Idle keep-alive connections are kept this long (browsers and API clients reuse them).
KEEPALIVE_SECONDS = 5


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the search page and JSON API",
        description="Serve the search page and the JSON API with gunicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument(
        "--workers", type=int, default=None, help=f"worker processes (default: one per CPU, here {default_workers()})"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process (default 4)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="replace a worker after about this many requests (default 0: never); no request is lost when it is",
    )
    parser.add_argument("--index", help="index folder (default: $DATELINE_INDEX or ./index)")
    parser.add_argument(
        "--engine", metavar="FILE", help="serve the search cluster of this cluster.toml (default: $DATELINE_ENGINE)"
    )
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    from search.cli import CommandError
    from search.index.store import live_version
    from web import create_app

    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise CommandError("--workers must be at least 1")
    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    if args.max_requests < 0:
        raise CommandError("--max-requests must be 0 (never) or more")
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be from 0 to 65535, got {args.port}")
    overrides: dict[str, object] = {"INDEX_DIR": args.index} if args.index else {}
    if args.engine:
        overrides["ENGINE"] = args.engine
    try:
        app = create_app(overrides)
    except ValueError as error:  # a malformed DATELINE_* variable
        raise CommandError(str(error)) from None
    index_dir = app.config["INDEX_DIR"]

    # The port is checked and bound here rather than by gunicorn: a busy port is one line at once
    # (gunicorn would retry for five seconds and log each attempt), and --port 0 is known before
    # anything is printed. All workers accept from this one socket: connections waiting in its
    # queue survive any worker leaving (a restart, recycling, a crash), which a socket per worker
    # (SO_REUSEPORT) would reset.
    try:
        listener = listen(args.host, args.port)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    except (OverflowError, ValueError) as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    host, port = listener.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    _import_engine()  # once in the master, so the forked workers share its code pages

    print(
        f"dateline serve: http://{host}:{port}/ (index {index_dir}, {workers} workers x {args.threads} threads)",
        flush=True,
    )
    if app.config["ENGINE"]:
        print(f"dateline serve: searching the cluster of {app.config['ENGINE']}", flush=True)
    elif live_version(index_dir) is None:
        print(
            f"dateline serve: no index in {index_dir} yet; run `dateline reindex` (the page works as soon "
            "as it is built)",
            flush=True,
        )
    bind = f"fd://{listener.detach()}"
    server = DatelineServer(app, bind, workers=workers, threads=args.threads, max_requests=args.max_requests)
    try:
        server.run()  # returns (or exits 0) after SIGTERM / SIGINT, once the workers stopped
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, refused when anything else (another server) has the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def _import_engine() -> None:
    import search.engine.searcher  # noqa: F401  (whoosh, numpy, nltk: imported before the fork, shared)


# How long replaced workers keep serving, at most, while their successors open the index.
SUCCESSORS_READY_SECONDS = 60.0


def dateline_arbiter(index_dir: Path) -> Any:
    """gunicorn's master, keeping the workers a restart (SIGHUP) replaces until their successors
    have opened the index: gunicorn would stop them at once, and the connections would wait for
    the successors' open in the queue instead of being served."""
    from gunicorn.arbiter import Arbiter

    from search.index.store import reader_registered

    class DatelineArbiter(Arbiter):
        def __init__(self, app: Any) -> None:
            super().__init__(app)
            self.spawned_at: dict[int, float] = {}

        def spawn_worker(self) -> int:
            pid = super().spawn_worker()
            self.spawned_at[pid] = time.monotonic()
            return pid

        def manage_workers(self) -> None:
            if len(self.WORKERS) > self.num_workers and not self._successors_ready():
                return  # the old ones go on serving; checked again on the next round (~1 s)
            super().manage_workers()

        def _successors_ready(self) -> bool:
            newest = sorted(self.WORKERS.items(), key=lambda item: item[1].age)[-self.num_workers :]
            now = time.monotonic()
            return all(
                reader_registered(index_dir, pid) or now - self.spawned_at.get(pid, 0.0) > SUCCESSORS_READY_SECONDS
                for pid, _ in newest
            )

    return DatelineArbiter


class DatelineServer:
    """gunicorn run from Python (its BaseApplication) on a listening socket."""

    def __init__(self, app: Any, bind: str, workers: int, threads: int, max_requests: int = 0) -> None:
        from gunicorn.app.base import BaseApplication

        from web.limits import HEADER_FIELD_BYTES, HEADER_FIELDS, gunicorn_request_line_limit
        from web.worker import DatelineWorker

        def post_fork(arbiter: Any, worker: Any) -> None:
            # The worker opens its own Searcher at once, in the background: its first request
            # does not pay for it and its heartbeat to the master is never held up. It then
            # follows every reindex the same way (see SearcherHolder.watch).
            app.extensions["dateline.searcher"].watch()

        def worker_exit(arbiter: Any, worker: Any) -> None:
            from search.index.store import unregister_reader

            # A reindex waits for the serving processes; one that left is no longer waited for.
            unregister_reader(app.config["INDEX_DIR"], worker.pid)

        settings = {
            "bind": [bind],
            "workers": workers,
            "worker_class": DatelineWorker,  # gthread, answering what gunicorn refuses in the app's shape
            # Every request the documented limits allow must reach the app (a 1,000-character query
            # in Bengali is ~12 KB encoded; gunicorn's default stops at 4 KB); the worker reads no more.
            "limit_request_line": gunicorn_request_line_limit(app.config),
            "http_parser": "python",  # the parser the worker bounds (web/worker.py), even with gunicorn_h1c
            # At most ~400 KB of headers are read for a request (fields x field size).
            "limit_request_fields": HEADER_FIELDS,
            "limit_request_field_size": HEADER_FIELD_BYTES,
            "threads": threads,
            "preload_app": True,
            "timeout": WORKER_TIMEOUT_SECONDS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "max_requests": max_requests,
            "max_requests_jitter": max_requests // 10,  # workers started together are not replaced together
            "keepalive": KEEPALIVE_SECONDS,
            "proc_name": "dateline serve",
            "loglevel": "warning",
            "errorlog": "-",
            "accesslog": None,
            "control_socket_disable": True,  # no gunicornc socket in $HOME shared by every server
            "post_fork": post_fork,
            "worker_exit": worker_exit,
        }

        arbiter = dateline_arbiter(Path(app.config["INDEX_DIR"]))

        class Application(BaseApplication):
            def load_config(self) -> None:
                for key, value in settings.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return app

            def run(self) -> None:
                try:
                    arbiter(self).run()
                except RuntimeError as error:  # gunicorn's word for a configuration it cannot run
                    raise SystemExit(f"dateline serve: {error}") from None

        self._application = Application()

    def run(self) -> None:
        self._application.run()
