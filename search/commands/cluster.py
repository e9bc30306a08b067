"""`dateline cluster init|start|stop|status|sync DIR`: a search cluster on this machine (search.cluster)."""

from __future__ import annotations

import argparse
from pathlib import Path

from search.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cluster",
        help="set up and run a local search cluster (searchd processes on this machine)",
        description="A sharded search cluster on this machine, for development and tests: init writes DIR/"
        "cluster.toml and the searchd configs; reindex, search and serve use it with --engine "
        "DIR/cluster.toml.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="write DIR/cluster.toml and the searchd configs")
    init.add_argument("dir", type=Path, metavar="DIR")
    init.add_argument("--shards", type=int, required=True, metavar="N")
    init.add_argument("--mirrors", type=int, default=0, metavar="M", help="mirrors per shard (default 0)")
    init.add_argument(
        "--base-port",
        type=int,
        default=9306,
        metavar="P",
        help="first of the consecutive ports the nodes listen on (default 9306)",
    )
    for name, text in (
        ("start", "start every node not running"),
        ("stop", "stop every node"),
        (
            "status",
            "one line per node: role, name, address, pid, up or down; then what each replica holds and "
            "any copy of the live pointer that lags",
        ),
        ("sync", "copy each stale mirror's live generation from its shard's primary; set lagging pointer copies"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("dir", type=Path, metavar="DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from search.cluster import local
    from search.cluster.connection import NodeDown
    from search.cluster.spec import ClusterSpec, ClusterSpecError
    from search.cluster.writer import ClusterWriteError, catch_up, pointer_report, replica_report

    try:
        if args.action == "init":
            spec = local.init(args.dir, args.shards, args.mirrors, args.base_port)
            print(
                f"wrote {spec.path} ({len(spec.shards)} shards, {len(spec.nodes)} nodes, ports "
                f"{spec.nodes[0].port}-{spec.nodes[-1].api_port})"
            )
            return 0
        spec = ClusterSpec.load(args.dir / "cluster.toml")
        if args.action == "start":
            for line in local.start(spec):
                print(line)
        elif args.action == "stop":
            for line in local.stop(spec):
                print(line)
        elif args.action == "status":
            states = local.status(spec)
            for state in states:
                print(state.line())
            if states[0].up:
                for replica in replica_report(spec):
                    print(replica.line)
                for line in pointer_report(spec):
                    print(line)
            return 0 if all(state.up for state in states) else 3
        elif args.action == "sync":
            for replica in replica_report(spec):
                if (
                    replica.held is not None
                    and replica.held != replica.expected
                    and replica.node is not spec.shards[replica.node.shard or 0][0]
                ):
                    print(f"{replica.node.label}: copied {catch_up(spec, replica.node)} articles from the primary")
            for line in pointer_report(spec, level=True):
                print(line)
    except (ClusterSpecError, local.LocalClusterError, ClusterWriteError, NodeDown) as error:
        raise CommandError(str(error)) from None
    return 0
