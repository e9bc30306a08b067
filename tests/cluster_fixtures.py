"""A local search cluster for tests: 3 shards with a mirror each, on free loopback ports, in a tmp folder."""

from __future__ import annotations

import random
import socket

from search.cli import main
from search.cluster import local
from search.cluster.spec import ClusterSpec

NODES = 7  # coordinator + 3 shards x (primary + mirror)


def free_base_port(count: int = 2 * NODES) -> int:
    """The first of `count` consecutive free loopback ports, from a random start (test processes
    run side by side: the same first choice in two of them would collide)."""
    start = random.randrange(20000, 50000)
    for base in range(start, 60000, 97):
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports")


def running_cluster(tmp_path_factory):
    """For a module-scoped fixture: started by the CLI (dateline cluster init / start), stopped after.
    Ports taken meanwhile by another process make searchd fail to start: then other ports."""
    for attempt in range(5):
        folder = tmp_path_factory.mktemp("cluster") / "c"
        assert (
            main(
                [
                    "cluster",
                    "init",
                    str(folder),
                    "--shards",
                    "3",
                    "--mirrors",
                    "1",
                    "--base-port",
                    str(free_base_port()),
                ]
            )
            == 0
        )
        spec = ClusterSpec.load(folder / "cluster.toml")
        try:
            if main(["cluster", "start", str(folder)]) == 0:
                yield spec
                return
        finally:
            local.stop(spec)
    raise RuntimeError("the test cluster did not start on five sets of ports")
