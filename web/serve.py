"""`dateline serve`: the web front end on waitress, a production WSGI server."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve the search page and JSON API",
                                   description="Serve the search page and the JSON API with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    parser.add_argument("--index", help="index folder (default: $DATELINE_INDEX or ./index)")
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    import waitress

    from web import create_app

    overrides = {"INDEX_DIR": args.index} if args.index else None
    app = create_app(overrides)
    print(f"dateline serve: http://{args.host}:{args.port}/ (index {app.config['INDEX_DIR']})", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="dateline")
    return 0
