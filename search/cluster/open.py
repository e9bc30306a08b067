"""Which engine a command uses: the embedded index, or the search cluster of `--engine FILE` /
DATELINE_ENGINE (search.settings)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from search.engine.interface import SearchEngine
from search.settings import Limits


def open_cluster_search(engine_file: Path, limits: Limits | None = None) -> SearchEngine:
    """Raises ClusterSpecError or ClusterUnavailable, each with a one-line message."""
    from search.cluster.engine import ClusterSearch
    from search.cluster.spec import ClusterSpec

    return ClusterSearch.open(ClusterSpec.load(engine_file), limits=limits)


def cluster_opener(
    engine_file: Path | str, limits: Limits | None = None
) -> tuple[Callable[[Path], SearchEngine], Callable[[], str | None]]:
    """For the web app's SearcherHolder: open the cluster's engine, and read its live generation
    ("a/7": slot and number; None when it has none or no node answers)."""
    from search.cluster.pointer import PointerReader
    from search.cluster.spec import ClusterSpec

    spec = ClusterSpec.load(engine_file)
    pointer = PointerReader(spec)

    def version() -> str | None:
        try:
            live = pointer.read()
        except Exception:  # no node answers: keep serving what is open
            return None
        return f"{live.slot}/{live.generation}" if live else None

    return (lambda _: open_cluster_search(spec.path, limits)), version
