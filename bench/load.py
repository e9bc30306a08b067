"""Load test: N concurrent clients against a real `dateline serve` over a real index.

    .venv/bin/python bench/load.py --index /tmp/reuters-index                 # 32 clients, 30 s
    .venv/bin/python bench/load.py --index /tmp/reuters-index --during-reindex  # while `reindex --full` runs
    .venv/bin/python bench/load.py --index /tmp/reuters-index --no-cache        # every request computed
    .venv/bin/python bench/load.py --index /tmp/reuters-index --distinct --during-reindex --restarts
        # every query new (words sampled from the index): steady, during `reindex --full`, and
        # through a graceful restart (SIGHUP), worker recycling and a worker killed with SIGKILL

Build the index once (a few minutes, entity extraction included) and reuse it:

    .venv/bin/dateline reindex --corpus ../shared/corpus/reuters21578 --index /tmp/reuters-index

The server runs in its own processes (`dateline serve`: gunicorn, one worker per CPU unless
--workers, started here on a free port of 127.0.0.1); each client is a thread with one keep-alive
http.client connection, replaying a reader's session without think time (closed loop): a search
(HTML and JSON), a facet click, another page, a timeline bar, an article (HTML and JSON), now and
then the front page. Queries come from a fixed list of 63 a reader of the 1987 newswire might type,
each equally likely; facet values, pages, bars and articles are picked from what the search returned.
Prints requests/s, latency percentiles overall and per kind of request, errors (any status but
200, any broken connection), the CPU the server and this load generator used (they share the
machine) and the load average before and after. The set of user actions is finite, so after a
while most requests repeat one asked before and the server's page cache answers them ("distinct"
says how many); --no-cache shows what the same mix costs when every request is computed.
--distinct replaces the sessions: every request is a search (JSON or page, alternately) for a
query never asked before in the run, one or two words sampled from the titles of the index, so no
cache answers any of them. Each phase (steady; during `reindex --full`; restarts) is reported on
its own. Always exits 0: figures are for reading.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import orjson

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "reuters21578"

# Words a reader of a 1987 newswire might look for; some phrases, one misspelling, one operator query.
QUERIES = [
    "oil",
    "oil prices",
    "crude",
    "opec",
    "coffee",
    "cocoa",
    "sugar",
    "wheat",
    "grain exports",
    "gold",
    "dollar",
    "yen",
    "interest rates",
    "inflation",
    "trade deficit",
    "bank",
    "merger",
    "takeover bid",
    "acquisition",
    "earnings",
    "dividend",
    "tax",
    "budget",
    "strike",
    "shipping",
    "tanker",
    "iran",
    "iraq",
    "gulf",
    "japan",
    "tokyo",
    "london",
    "brazil debt",
    "mexico",
    "soviet",
    "china",
    "ecuador",
    "nigeria",
    '"stock exchange"',
    '"federal reserve"',
    "baker",
    "volcker",
    "reagan",
    "thatcher",
    "stoltenberg",
    "copper",
    "tin",
    "rubber",
    "soybeans",
    "corn",
    "cattle",
    "steel",
    "car sales",
    "computer",
    "airline",
    "petroleum",
    "natural gas",
    "refinery",
    "wheat OR corn",
    "oil -gulf",
    "interst rates",
    "fed",
]


class DistinctQueries:
    """An endless supply of queries never asked before: one or two words from the index's titles."""

    def __init__(self, index: Path, seed: int, sample: int = 4000) -> None:
        from search.analysis import ENGLISH_STOP_WORDS
        from search.index.store import open_live_index

        rng = random.Random(seed)
        words: set[str] = set()
        with open_live_index(index).searcher() as searcher:
            docnums = list(range(searcher.doc_count_all()))
            for docnum in rng.sample(docnums, min(sample, len(docnums))):
                title = (searcher.stored_fields(docnum) or {}).get("title") or ""
                words.update(w for w in re.findall(r"[A-Za-z]{4,}", title.lower()) if w not in ENGLISH_STOP_WORDS)
        self.words = sorted(words)
        self.rng = rng
        self.asked: set[str] = set()
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            while True:
                count = 1 if self.rng.random() < 0.5 else 2
                query = " ".join(self.rng.sample(self.words, count))
                if query not in self.asked:
                    self.asked.add(query)
                    return query


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    finished: list[tuple[float, float]] = field(default_factory=list)  # (when, latency)
    retried: int = 0  # requests sent again after the server closed an idle keep-alive connection
    error_times: list[float] = field(default_factory=list)  # perf_counter() of each error
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, path: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.paths.add(path)
            self.finished.append((time.perf_counter(), seconds))

    def count(self) -> int:
        with self.lock:
            return sum(len(values) for values in self.latencies.values())

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)
            self.error_times.append(time.perf_counter())

    def take(self) -> Stats:
        """What was recorded so far, as its own Stats; recording starts afresh."""
        with self.lock:
            taken = Stats(
                self.latencies,
                self.errors,
                self.paths,
                self.finished,
                retried=self.retried,
                error_times=self.error_times,
            )
            self.latencies, self.errors, self.paths, self.finished = defaultdict(list), [], set(), []
            self.retried, self.error_times = 0, []
        return taken


class Client:
    """One reader: a keep-alive connection and a session of clicks."""

    def __init__(
        self,
        host: str,
        port: int,
        stats: Stats,
        rng: random.Random,
        stop: threading.Event,
        distinct: DistinctQueries | None = None,
    ) -> None:
        self.host, self.port, self.stats, self.rng, self.stop = host, port, stats, rng, stop
        self.distinct = distinct
        self.connection: http.client.HTTPConnection | None = None
        self.asked = 0

    def get(self, kind: str, path: str) -> bytes | None:
        """The body of a 200 answer; None on an error, or once the run is over (the session ends)."""
        for attempt in (1, 2):
            if self.stop.is_set():
                return None
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
                if attempt == 1 and isinstance(
                    error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
                ):
                    with self.stats.lock:
                        self.stats.retried += 1
                    continue
                self.stats.error(f"{kind} {path}: {type(error).__name__}: {error}")
                return None
            elapsed = time.perf_counter() - started
            self.stats.record(kind, elapsed, path)
            if response.status != 200:
                self.stats.error(f"{kind} {path}: HTTP {response.status}: {body[:200]!r}")
                return None
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return body
        return None

    def distinct_search(self) -> None:
        """One search for a query nobody asked before: as JSON and as a page, in turn."""
        self.asked += 1
        query = urlencode([("q", self.distinct.next())])
        if self.asked % 2:
            self.get("distinct.json", "/api/search?" + query)
        else:
            self.get("distinct.html", "/?" + query)

    def session(self) -> None:
        if self.distinct is not None:
            self.distinct_search()
            return
        rng = self.rng
        q = rng.choice(QUERIES)
        base = [("q", q)]
        body = self.get("search.json", "/api/search?" + urlencode(base))
        if body is None:
            return
        data = orjson.loads(body)
        self.get("search.html", "/?" + urlencode(base))
        facets = [
            (name, v["value"]) for name in ("person", "place", "country") for v in data["facets"].get(name, [])[:5]
        ]
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

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.session()
            except Exception as error:  # a bug in the bench must not look like a server error
                self.stats.error(f"client: {type(error).__name__}: {error}")
        if self.connection is not None:
            self.connection.close()


def start_server(
    index: Path, workers: int | None, threads: int, cache: bool, max_requests: int = 0
) -> tuple[subprocess.Popen, str, int, str]:
    env = dict(os.environ)
    if not cache:
        env["DATELINE_CACHE_SIZE"] = "0"
    dateline = Path(sys.executable).with_name("dateline")
    process = subprocess.Popen(
        [
            str(dateline),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *(["--workers", str(workers)] if workers else []),
            *(["--max-requests", str(max_requests)] if max_requests else []),
            "--threads",
            str(threads),
            "--index",
            str(index),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    line = process.stdout.readline()
    match = re.search(r"http://([\d.]+):(\d+)/", line)
    if not match:
        process.kill()
        sys.exit(f"load: dateline serve did not start: {line!r}")
    # Drain the server's output so a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, match.group(1), int(match.group(2)), line.strip()


def process_tree(pid: int) -> list[int]:
    """A process and its children (Linux /proc; just the process elsewhere)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return pids


def resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by a process and each of its live children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[each] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report_windows(stats: Stats, started: float, window: float = 10.0) -> None:
    """p99 per window of the run: a cold start or a swapped-in index shows up in its window."""
    windows: dict[int, list[float]] = defaultdict(list)
    for when, latency in stats.finished:
        windows[int((when - started) // window)].append(latency)
    print(
        f"p99 per {window:g} s: "
        + "  ".join(f"{percentile(values, 99) * 1000:.0f}" for _, values in sorted(windows.items()))
        + " ms"
    )


def report(stats: Stats, seconds: float, phase: str = "") -> None:
    if phase:
        print(f"\n== {phase}")
    every = [v for values in stats.latencies.values() for v in values]
    total = len(every) + sum(1 for e in stats.errors if "HTTP" not in e)
    print(f"requests: {total:,} in {seconds:.1f} s = {total / seconds:,.1f} requests/s")
    if every:
        print(
            f"latency:  p50 {percentile(every, 50) * 1000:.1f} ms   p90 {percentile(every, 90) * 1000:.1f} ms   "
            f"p99 {percentile(every, 99) * 1000:.1f} ms   max {max(every) * 1000:.1f} ms   "
            f"mean {statistics.fmean(every) * 1000:.1f} ms"
        )
    if every:
        print(
            f"distinct: {len(stats.paths):,} different URLs; {1 - len(stats.paths) / len(every):.0%} of the "
            "requests asked for a URL asked before in the run"
        )
    print(
        f"errors:   {len(stats.errors)} (and {stats.retried} requests sent again after the server "
        "closed an idle keep-alive connection, as HTTP clients do)"
    )
    for message in stats.errors[:10]:
        print(f"  {message}")
    print(f"{'kind':<15}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(
            f"{kind:<15}{len(values):>8}{percentile(values, 50) * 1000:>9.1f}{percentile(values, 99) * 1000:>9.1f}"
            f"{max(values) * 1000:>9.1f}"
        )


def wait_until_serving(host: str, port: int, timeout: float = 120.0) -> None:
    """Until a search answers: the workers open the index when they start."""
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.request("GET", "/api/search?q=oil")
            if connection.getresponse().status == 200:
                return
        except (http.client.HTTPException, OSError):
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            sys.exit("load: dateline serve did not answer a search")
        time.sleep(0.2)


class Run:
    """One server and its clients: phases of load, each reported on its own."""

    def __init__(self, args: argparse.Namespace, distinct: DistinctQueries | None, max_requests: int = 0) -> None:
        self.args = args
        self.server, host, port, self.banner = start_server(
            args.index, args.workers, args.threads, not args.no_cache, max_requests
        )
        wait_until_serving(host, port)
        self.stats = Stats()
        self.stop = threading.Event()
        clients = [
            Client(host, port, self.stats, random.Random(args.seed + i), self.stop, distinct)
            for i in range(args.clients)
        ]
        self.threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
        for thread in self.threads:
            thread.start()

    def phase(self, name: str, until: Callable[[float], bool]) -> Stats:
        """Load until `until(elapsed seconds)` is true; then its figures."""
        self.stats.take()
        started = time.perf_counter()
        server_cpu, own_cpu = process_tree_cpu(self.server.pid), time.process_time()
        while not until(time.perf_counter() - started):
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        stats = self.stats.take()
        used = {pid: spent - server_cpu.get(pid, 0.0) for pid, spent in process_tree_cpu(self.server.pid).items()}
        report(stats, seconds, name)
        report_windows(stats, started)
        workers = " + ".join(f"{spent / seconds:.2f}" for pid, spent in used.items() if pid != self.server.pid)
        own = (time.process_time() - own_cpu) / seconds
        print(
            f"cpu:      server {sum(used.values()) / seconds:.2f} cores (workers {workers}), load generator "
            f"{own:.2f} cores, of {os.cpu_count() or 1}; server per request "
            f"{sum(used.values()) * 1000 / max(1, stats.count()):.1f} ms"
        )
        memory = [resident_mb(pid) for pid in process_tree(self.server.pid)]
        print(
            f"memory:   server master {memory[0]:.0f} MB, workers "
            f"{', '.join(f'{mb:.0f}' for mb in memory[1:])} MB resident at the end",
            flush=True,
        )
        return stats

    def workers(self) -> set[int]:
        return set(process_tree(self.server.pid)) - {self.server.pid}

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder (built by dateline reindex)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load not counted (default 5)")
    parser.add_argument("--workers", type=int, help="server worker processes (default: dateline serve's, one per CPU)")
    parser.add_argument("--threads", type=int, default=4, help="threads per server worker (default 4)")
    parser.add_argument("--no-cache", action="store_true", help="serve without the search result cache")
    parser.add_argument(
        "--distinct", action="store_true", help="every request a search for a new query (words sampled from the index)"
    )
    parser.add_argument("--seed", type=int, default=1987)
    parser.add_argument(
        "--during-reindex",
        action="store_true",
        help="then run `dateline reindex --full` on the same index; that phase lasts until it "
        "has finished, and 5 s more",
    )
    parser.add_argument(
        "--restarts",
        action="store_true",
        help="then, on a server recycling workers every ~500 requests, send SIGHUP (graceful "
        "restart) and later SIGKILL one worker; --duration seconds",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus for --during-reindex")
    args = parser.parse_args()

    from search.index.store import live_version

    if live_version(args.index) is None:
        sys.exit(
            f"load: no index in {args.index}; build one with "
            f"dateline reindex --corpus {DEFAULT_CORPUS} --index {args.index}"
        )
    load_before = load_average()
    distinct = DistinctQueries(args.index, args.seed) if args.distinct else None
    run = Run(args, distinct)
    print(f"load: {run.banner}")
    print(
        f"load: cache {'off' if args.no_cache else 'on'}, {args.clients} clients, "
        f"{'distinct queries from ' + str(len(distinct.words)) + ' title words' if distinct else 'sessions'}, "
        f"{args.duration:g} s after {args.warmup:g} s warm-up, index {args.index} ({live_version(args.index)})",
        flush=True,
    )
    try:
        time.sleep(args.warmup)  # the first index load and cold caches are not counted
        run.phase("steady", lambda elapsed: elapsed >= args.duration)
        if args.during_reindex:
            version_before = live_version(args.index)
            started = time.perf_counter()
            reindex = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("dateline")),
                    "reindex",
                    "--full",
                    "--quiet",
                    "--corpus",
                    str(args.corpus),
                    "--index",
                    str(args.index),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=ROOT,
            )
            finished: list[float] = []

            def reindexed(elapsed: float) -> bool:
                if reindex.poll() is None:
                    return False
                finished.append(finished[0] if finished else elapsed)
                return elapsed >= finished[0] + 5  # searches on the freshly swapped-in index count too

            run.phase("during reindex --full", reindexed)
            output = reindex.stdout.read().strip()
            print(
                f"reindex --full: exit {reindex.returncode} after {time.perf_counter() - started - 5:.0f} s; "
                f"index {version_before} -> {live_version(args.index)}" + (f"\n  {output[-500:]}" if output else "")
            )
    finally:
        run.close()
    if args.restarts:
        restarts(args, distinct)
    print(
        f"\nload avg: {load_before} before, {load_average()} after (1, 5, 15 min; other work on this machine "
        "shows here: figures taken on a shared machine are indicative)"
    )
    return 0


RECYCLE_AFTER = 1000  # --max-requests of the restarts phase's server


def restarts(args: argparse.Namespace, distinct: DistinctQueries | None) -> None:
    """A graceful restart, worker recycling and a killed worker, under the same load."""
    import signal

    run = Run(args, distinct, max_requests=RECYCLE_AFTER)
    try:
        time.sleep(args.warmup)
        events: list[str] = []
        times: list[float] = []

        def script(elapsed: float) -> bool:
            if elapsed >= args.duration / 3 and not events:
                events.append(f"SIGHUP at {elapsed:.0f} s")
                times.append(time.perf_counter())
                run.server.send_signal(signal.SIGHUP)
            elif elapsed >= 2 * args.duration / 3 and len(events) == 1:
                victim = max(run.workers())  # the newest: one of those the SIGHUP started
                events.append(f"SIGKILL of worker {victim} at {elapsed:.0f} s")
                times.append(time.perf_counter())
                os.kill(victim, signal.SIGKILL)
            return elapsed >= args.duration

        stats = run.phase(f"restarts: workers recycled every ~{RECYCLE_AFTER} requests, a SIGHUP, a SIGKILL", script)
        print("events:   " + "; ".join(events))
        windows = [
            ("recycling only, before the SIGHUP", -1e9),
            ("from the SIGHUP", times[0] if times else 1e18),
            ("from the SIGKILL", times[1] if len(times) > 1 else 1e18),
        ]
        for i, (label, start) in enumerate(windows):
            end = windows[i + 1][1] if i + 1 < len(windows) else 1e18
            failed = sum(1 for when in stats.error_times if start <= when < end)
            print(f"errors {label}: {failed}")
        print(f"          (a killed worker may lose the requests it was serving: at most {args.threads}, its threads)")
    finally:
        run.close()


if __name__ == "__main__":
    sys.exit(main())
