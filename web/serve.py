"""`dateline serve`: the web front end on waitress, a production WSGI server."""

from __future__ import annotations

import argparse
import logging


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve the search page and JSON API",
                                   description="Serve the search page and the JSON API with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    parser.add_argument("--index", help="index folder (default: $DATELINE_INDEX or ./index)")
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    import waitress

    from search.cli import CommandError
    from search.index_store import live_version
    from web import create_app

    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    overrides = {"INDEX_DIR": args.index} if args.index else None
    try:
        app = create_app(overrides)
    except ValueError as error:  # a malformed DATELINE_* variable
        raise CommandError(str(error)) from None
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" is not news under load
    index_dir = app.config["INDEX_DIR"]
    try:
        server = waitress.create_server(app, host=args.host, port=args.port, threads=args.threads,
                                        ident="dateline", asyncore_use_poll=True, connection_limit=1000)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    host, port = server.effective_host, server.effective_port  # type: ignore[union-attr]
    print(f"dateline serve: http://{host}:{port}/ (index {index_dir}, {args.threads} threads)", flush=True)
    if live_version(index_dir) is None:
        print(f"dateline serve: no index in {index_dir} yet; run `dateline reindex` (the page works as soon as "
              "it is built)", flush=True)
    try:
        server.run()
    finally:
        server.close()
    return 0
