"""The search cluster beside the embedded engine: import, query latency, throughput, memory, a kill under load.

    .venv/bin/python bench/cluster.py [--corpus PATH ...] [--shards 3] [--mirrors 1] [--clients 16] [--seconds 10]

Starts a local cluster (dateline cluster init/start) in a temporary folder on free ports, indexes
the corpora (default: Reuters-21578 and AllSides from ../shared) into it and into an embedded
Whoosh index, with the same entities: Reuters' own PEOPLE/PLACES tags (AllSides has none), since
spaCy over 60,000 stories would take hours here and is the same cost for both engines. Prints:
import docs/s of each, query p50/p95 of each on the same requests (top 10, every facet, the date
histogram, snippets), requests/s with N client threads, RSS of every searchd, and the failed
requests while a primary is killed under load, each beside the machine's load average (1, 5 and
15 minutes: other work on the same cores slows both engines). Asserts nothing; the cluster is
stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.article import Article, Entities, Place  # noqa: E402
from search.cluster import local  # noqa: E402
from search.cluster.engine import ClusterSearch  # noqa: E402
from search.cluster.reindex import reindex_cluster  # noqa: E402
from search.engine.interface import SearchEngine  # noqa: E402
from search.engine.searcher import Searcher  # noqa: E402
from search.index.indexer import reindex  # noqa: E402
from search.results import SearchRequest  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
CORPORA = [SHARED / "reuters21578", SHARED / "allsides"]
REQUESTS = [
    SearchRequest(q=q)
    for q in (
        "oil prices",
        "interest rates",
        "coffee brazil",
        '"bank of japan"',
        "trade deficit",
        "wheat exports",
        "dollar yen",
        "gold",
        "sugar OR cocoa",
        "crude -opec",
        "election",
        "immigration policy",
        '"supreme court"',
        "climate change",
        "tax cuts",
        "",
    )
] + [SearchRequest(q="oil", filters={"country": ("Kuwait",)}), SearchRequest(q="trade", sort="newest")]


class Tags:
    """Entities from a story's own tags (Reuters PEOPLE/PLACES); none for corpora without them."""

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        for article in articles:
            meta = article.source_metadata or {}
            yield Entities(_names(meta.get("people")), tuple(Place(p, p) for p in _names(meta.get("places"))))


def _names(value) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else []
    return tuple(str(v).replace("-", " ").title() for v in items)


def free_base_port(count: int) -> int:
    for base in range(30000, 60000, 101):
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free ports")


def latencies(engine: SearchEngine, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for request in REQUESTS:
            started = time.perf_counter()
            engine.search(request)
            times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def under_load(
    engine: SearchEngine, clients: int, seconds: float, expected: dict[str, int] | None = None, during=None
) -> tuple[int, int]:
    """(requests answered, failed) by `clients` threads in `seconds`; `during` runs meanwhile. A
    failure is an exception, a result missing a shard, or (given `expected`) a wrong total."""
    done = [0] * clients
    failed = [0] * clients
    stop = threading.Event()

    def client(n: int) -> None:
        i = n
        while not stop.is_set():
            request = REQUESTS[i % len(REQUESTS)]
            i += 1
            try:
                result = engine.search(request)
                bad = bool(result.extra) or (expected is not None and result.total != expected[request.q])
            except Exception:
                bad = True
            done[n] += 1
            failed[n] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(done), sum(failed)


def load() -> str:
    """The load average beside a figure: the cores are shared with whatever else runs here."""
    return "[load " + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores]"


def rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", type=Path)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--mirrors", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus = args.corpus or CORPORA
    with tempfile.TemporaryDirectory(prefix="dateline-bench-cluster-") as tmp:
        folder = Path(tmp) / "cluster"
        nodes = 1 + args.shards * (1 + args.mirrors)
        spec = local.init(folder, args.shards, args.mirrors, free_base_port(2 * nodes))
        local.start(spec)
        try:
            run(spec, corpus, Path(tmp) / "embedded", args)
        finally:
            local.stop(spec)


def run(spec, corpus: list[Path], index_dir: Path, args) -> None:
    print(
        f"corpus: {', '.join(str(p) for p in corpus)}; {len(spec.shards)} shards x {1 + args.mirrors} replicas; "
        f"entities: Reuters tags (same for both engines) {load()}"
    )
    report = reindex_cluster(corpus, spec, workers=1, extractor=Tags())
    print(
        f"import, cluster:  {report.read} docs in {report.seconds:.1f} s = {report.docs_per_second:.0f} docs/s {load()}"
    )
    embedded_report = reindex(corpus, index_dir, full=True, workers=1, extractor=Tags())
    print(
        f"import, embedded: {embedded_report.read} docs in {embedded_report.seconds:.1f} s = "
        f"{embedded_report.docs_per_second:.0f} docs/s {load()}"
    )
    with Searcher.open(index_dir) as embedded, ClusterSearch.open(spec) as cluster:
        expected = {request.q: embedded.search(request).total for request in REQUESTS}
        for name, engine in (("embedded", embedded), ("cluster", cluster)):
            latencies(engine, 1)  # warm
            times = latencies(engine, args.repeat)
            print(
                f"query, {name:<8}: p50 {statistics.median(times):6.1f} ms, p95 {percentile(times, 95):6.1f} ms "
                f"({len(times)} requests) {load()}"
            )
        for name, engine in (("embedded", embedded), ("cluster", cluster)):
            done, failed = under_load(engine, args.clients, args.seconds)
            print(
                f"throughput, {name:<8}: {done / args.seconds:6.1f} requests/s with {args.clients} clients "
                f"({failed} failed) {load()}"
            )
        for state in local.status(spec):
            print(f"rss {state.node.role:<11} {state.node.name:<5} {rss_mb(state.pid):7.1f} MB")
        victim = spec.shards[0][0]

        def kill_primary() -> None:
            time.sleep(args.seconds / 3)
            local.stop_node(spec, victim, kill=True)
            print(f"killed {victim.label} at {victim.address} under load")

        done, failed = under_load(
            cluster, args.clients, args.seconds, expected, during=lambda: threading.Thread(target=kill_primary).start()
        )
        print(f"kill under load: {done} requests, {failed} failed (exception, missing shard or wrong total) {load()}")
        local.start(spec)


if __name__ == "__main__":
    main()
