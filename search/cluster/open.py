"""Which engine a command uses: the embedded index, or the search cluster of `--engine FILE` /
DATELINE_ENGINE (search.settings)."""

from __future__ import annotations

from pathlib import Path

from search.engine.interface import SearchEngine
from search.settings import Limits


def open_cluster_search(engine_file: Path, limits: Limits | None = None) -> SearchEngine:
    """Raises ClusterSpecError or ClusterUnavailable, each with a one-line message."""
    from search.cluster.engine import ClusterSearch
    from search.cluster.spec import ClusterSpec

    return ClusterSearch.open(ClusterSpec.load(engine_file), limits=limits)
