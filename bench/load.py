"""Load test: N concurrent clients against a real `dateline serve` over a real index.

    .venv/bin/python bench/load.py --index /tmp/reuters-index                 # 32 clients, 30 s
    .venv/bin/python bench/load.py --index /tmp/reuters-index --during-reindex  # while `reindex --full` runs

Build the index once (a few minutes, entity extraction included) and reuse it:

    .venv/bin/dateline reindex --corpus ../shared/corpus/reuters21578 --index /tmp/reuters-index

The server runs in its own process (started here on a free port of 127.0.0.1); each client is a
thread with one keep-alive http.client connection, replaying a reader's session: a search (HTML and
JSON), a facet click, the next page, a timeline bar, an article (HTML and JSON). Prints requests/s,
latency percentiles overall and per kind of request, and errors (any status but 200, any broken
connection). Always exits 0: figures are for reading, not asserting.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "reuters21578"

# Words a reader of a 1987 newswire might look for; some phrases, one misspelling, one operator query.
QUERIES = [
    "oil", "oil prices", "crude", "opec", "coffee", "cocoa", "sugar", "wheat", "grain exports", "gold",
    "dollar", "yen", "interest rates", "inflation", "trade deficit", "bank", "merger", "takeover bid",
    "acquisition", "earnings", "dividend", "tax", "budget", "strike", "shipping", "tanker", "iran", "iraq",
    "gulf", "japan", "tokyo", "london", "brazil debt", "mexico", "soviet", "china", "ecuador", "nigeria",
    '"stock exchange"', '"federal reserve"', "baker", "volcker", "reagan", "thatcher", "stoltenberg",
    "copper", "tin", "rubber", "soybeans", "corn", "cattle", "steel", "car sales", "computer", "airline",
    "petroleum", "natural gas", "refinery", "wheat OR corn", "oil -gulf", "interst rates", "fed",
]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Client:
    """One reader: a keep-alive connection and a session of clicks."""

    def __init__(self, host: str, port: int, stats: Stats, rng: random.Random) -> None:
        self.host, self.port, self.stats, self.rng = host, port, stats, rng
        self.connection: http.client.HTTPConnection | None = None

    def get(self, kind: str, path: str) -> bytes | None:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            started = time.perf_counter()
            try:
                self.connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.connection.close()
                self.connection = None
                # A keep-alive connection the server closed while idle is retried once; anything else counts.
                if attempt == 1 and isinstance(error, (http.client.RemoteDisconnected, BrokenPipeError,
                                                       ConnectionResetError)):
                    continue
                self.stats.error(f"{kind} {path}: {type(error).__name__}: {error}")
                return None
            elapsed = time.perf_counter() - started
            self.stats.record(kind, elapsed)
            if response.status != 200:
                self.stats.error(f"{kind} {path}: HTTP {response.status}: {body[:200]!r}")
                return None
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return body
        return None

    def session(self) -> None:
        rng = self.rng
        q = rng.choice(QUERIES)
        base = [("q", q)]
        body = self.get("search.json", "/api/search?" + urlencode(base))
        if body is None:
            return
        data = json.loads(body)
        self.get("search.html", "/?" + urlencode(base))
        facets = [(name, v["value"]) for name in ("person", "place", "country")
                  for v in data["facets"].get(name, [])[:5]]
        if facets:
            facet = rng.choice(facets)
            self.get("facet.html", "/?" + urlencode(base + [facet]))
        if data["pages"] > 1:
            self.get("page.html", "/?" + urlencode(base + [("page", str(rng.randint(2, min(5, data["pages"]))))]))
        buckets = [b for b in data["dates"]["buckets"] if b["count"]]
        if buckets:
            bucket = rng.choice(buckets)
            self.get("timeline.html", "/?" + urlencode(base + [("from", bucket["start"]), ("to", bucket["end"])]))
        if data["results"]:
            article_id = quote(rng.choice(data["results"])["id"], safe="")
            self.get("article.html", f"/articles/{article_id}")
            self.get("article.json", f"/api/articles/{article_id}")
        if rng.random() < 0.1:
            self.get("browse.html", "/")

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.session()
            except Exception as error:  # a bug in the bench must not look like a server error
                self.stats.error(f"client: {type(error).__name__}: {error}")
        if self.connection is not None:
            self.connection.close()


def start_server(index: Path, threads: int, cache: bool) -> tuple[subprocess.Popen, str, int]:
    env = dict(os.environ)
    if not cache:
        env["DATELINE_CACHE_SIZE"] = "0"
    dateline = Path(sys.executable).with_name("dateline")
    process = subprocess.Popen([str(dateline), "serve", "--host", "127.0.0.1", "--port", "0",
                                "--threads", str(threads), "--index", str(index)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    line = process.stdout.readline()
    match = re.search(r"http://([\d.]+):(\d+)/", line)
    if not match:
        process.kill()
        sys.exit(f"load: dateline serve did not start: {line!r}")
    # Drain the server's output so a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, match.group(1), int(match.group(2))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(stats: Stats, seconds: float) -> None:
    every = [v for values in stats.latencies.values() for v in values]
    total = len(every) + sum(1 for e in stats.errors if "HTTP" not in e)
    print(f"requests: {total:,} in {seconds:.1f} s = {total / seconds:,.1f} requests/s")
    if every:
        print(f"latency:  p50 {percentile(every, 50) * 1000:.1f} ms   p90 {percentile(every, 90) * 1000:.1f} ms   "
              f"p99 {percentile(every, 99) * 1000:.1f} ms   max {max(every) * 1000:.1f} ms   "
              f"mean {statistics.fmean(every) * 1000:.1f} ms")
    print(f"errors:   {len(stats.errors)}")
    for message in stats.errors[:10]:
        print(f"  {message}")
    print(f"{'kind':<15}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(f"{kind:<15}{len(values):>8}{percentile(values, 50) * 1000:>9.1f}{percentile(values, 99) * 1000:>9.1f}"
              f"{max(values) * 1000:>9.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder (built by dateline reindex)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load not counted (default 3)")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads (default 8)")
    parser.add_argument("--no-cache", action="store_true", help="serve without the search result cache")
    parser.add_argument("--seed", type=int, default=1987)
    parser.add_argument("--during-reindex", action="store_true",
                        help="run `dateline reindex --full` on the same index meanwhile; the load lasts "
                             "until it has finished (and at least --duration)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus for --during-reindex")
    args = parser.parse_args()

    from search.index_store import live_version

    if live_version(args.index) is None:
        sys.exit(f"load: no index in {args.index}; build one with "
                 f"dateline reindex --corpus {DEFAULT_CORPUS} --index {args.index}")
    server, host, port = start_server(args.index, args.threads, not args.no_cache)
    print(f"load: server http://{host}:{port}/ ({args.threads} threads, cache {'off' if args.no_cache else 'on'}), "
          f"{args.clients} clients, index {args.index} ({live_version(args.index)})", flush=True)
    stats = Stats()
    stop = threading.Event()
    clients = [Client(host, port, stats, random.Random(args.seed + i)) for i in range(args.clients)]
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    reindex = None
    try:
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        with stats.lock:  # the warm-up (first index load, cold caches) is not counted
            stats.latencies.clear()
            stats.errors.clear()
        started = time.perf_counter()
        version_before = live_version(args.index)
        if args.during_reindex:
            reindex = subprocess.Popen([str(Path(sys.executable).with_name("dateline")), "reindex", "--full",
                                        "--quiet", "--corpus", str(args.corpus), "--index", str(args.index)],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        while True:
            time.sleep(0.5)
            elapsed = time.perf_counter() - started
            reindexing = reindex is not None and reindex.poll() is None
            if elapsed >= args.duration and not reindexing:
                break
        if reindex is not None:
            time.sleep(min(5.0, args.duration))  # searches on the freshly swapped-in index count too
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    if reindex is not None:
        output = reindex.stdout.read().strip()
        print(f"reindex --full: exit {reindex.returncode}; index {version_before} -> {live_version(args.index)}"
              + (f"\n  {output[-500:]}" if output else ""))
    report(stats, seconds)
    print(f"(machine: {os.cpu_count()} CPUs, shared with other work: figures are indicative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
