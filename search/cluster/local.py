"""A search cluster on this machine: one searchd per node, its files in DIR/<node name>/."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from search.cluster.spec import GAP_TOKEN, STOPWORDS_FILE, ClusterSpec, Node, local_spec, searchd_config


class LocalClusterError(RuntimeError):
    """A local cluster could not be set up or run; the message is one line."""


def node_folder(spec: ClusterSpec, node: Node) -> Path:
    return spec.folder / node.name


def config_path(spec: ClusterSpec, node: Node) -> Path:
    return node_folder(spec, node) / "searchd.conf"


def init(folder: Path, shards: int, mirrors: int, base_port: int) -> ClusterSpec:
    """Writes DIR/cluster.toml and every node's searchd config; refuses to overwrite a cluster."""
    folder = Path(folder)
    if (folder / "cluster.toml").exists():
        raise LocalClusterError(f"{folder / 'cluster.toml'} exists; use another folder")
    if shards < 1 or mirrors < 0:
        raise LocalClusterError("--shards must be at least 1 and --mirrors at least 0")
    spec = local_spec(folder.resolve(), shards, mirrors, base_port)
    if spec.nodes[-1].api_port > 65535:
        raise LocalClusterError(f"--base-port {base_port} leaves no room for {len(spec.nodes)} nodes")
    folder.mkdir(parents=True, exist_ok=True)
    (spec.folder / STOPWORDS_FILE).write_text(GAP_TOKEN + "\n", encoding="utf-8")
    for node in spec.nodes:
        node_folder(spec, node).mkdir(exist_ok=True)
        config_path(spec, node).write_text(searchd_config(spec, node, node_folder(spec, node)), encoding="utf-8")
    spec.path.write_text(spec.to_toml(), encoding="utf-8")
    return spec


def _searchd() -> str:
    found = shutil.which("searchd")
    if not found:
        raise LocalClusterError(
            "searchd is not installed (Debian: apt-get install sphinxsearch; or scripts/install --dev)"
        )
    return found


def pid_of(spec: ClusterSpec, node: Node) -> int | None:
    """The pid in the node's pid file if that process is alive."""
    try:
        pid = int((node_folder(spec, node) / "searchd.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def answers(node: Node, timeout: float = 0.5) -> bool:
    """Whether the node's SphinxQL port accepts a connection."""
    try:
        with socket.create_connection((node.host, node.port), timeout=timeout):
            return True
    except OSError:
        return False


def start(spec: ClusterSpec, nodes: tuple[Node, ...] | None = None, timeout: float = 30.0) -> list[str]:
    """Starts the nodes not running; returns one line per node started."""
    searchd = _searchd()
    lines = []
    for node in nodes or spec.nodes:
        if pid_of(spec, node) is not None:
            continue
        done = subprocess.run([searchd, "--config", str(config_path(spec, node))], capture_output=True, text=True)
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
            raise LocalClusterError(f"searchd of {node.label} did not start: {reason[0]}")
        lines.append(f"started {node.label} at {node.address}")
    deadline = time.monotonic() + timeout
    for node in nodes or spec.nodes:
        while not answers(node):
            if time.monotonic() > deadline:
                raise LocalClusterError(
                    f"{node.label} at {node.address} does not answer (see {node_folder(spec, node) / 'searchd.log'})"
                )
            time.sleep(0.1)
    return lines


def stop_node(spec: ClusterSpec, node: Node, kill: bool = False, timeout: float = 20.0) -> bool:
    """Stops one node (SIGTERM, or SIGKILL with `kill`); False if it was not running."""
    pid = pid_of(spec, node)
    if pid is None:
        return False
    os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_of(spec, node) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    if kill:
        (node_folder(spec, node) / "searchd.pid").unlink(missing_ok=True)
    return True


def stop(spec: ClusterSpec) -> list[str]:
    return [f"stopped {node.label}" for node in spec.nodes if stop_node(spec, node)]


@dataclass(frozen=True)
class NodeStatus:
    node: Node
    pid: int | None
    up: bool

    def line(self) -> str:
        pid = f"pid {self.pid}" if self.pid is not None else "pid -"
        return (
            f"{self.node.role:<11} {self.node.name:<6} {self.node.address:<21} {pid:<10} {'up' if self.up else 'down'}"
        )


def status(spec: ClusterSpec) -> list[NodeStatus]:
    return [NodeStatus(node, pid_of(spec, node), answers(node)) for node in spec.nodes]
