"""Dateline at 20k, 200k and 1M articles, beside SQLite FTS5 over the same documents (prints, asserts nothing).

    .venv/bin/python bench/scale.py                       # 20000 200000 1000000
    .venv/bin/python bench/scale.py 20000 200000 --work /tmp/scale-bench
    .venv/bin/python bench/scale.py 200000 --steps serve    # again, the other figures from the last run

For each size: the scale corpus (bench/scale_corpus.py; made once into WORK/corpus-N and reused),
then

- **rebuild**: `dateline reindex --full --corpus WORK/corpus-N --index WORK/index-N` (the CLI, the
  records' own people and places), wall time as words/s of title and body, its CPU seconds (on
  a shared machine, what the run cost), and the peak of the summed RSS of every process of the
  run (sampled every 0.2 s); beside it the NLTK
  analysis alone (search.analysis.news_analyzer over title and body) on the first 5,000 articles;
- **FTS5**: the same articles into SQLite FTS5 (title, body; unicode61 tokenizer with porter) and
  a facet table, in one process;
- **serving**: in a fresh process (one worker's work, without Flask), the Searcher opens the
  index and answers the first request ("open"; timed also for the process before it, the first
  to open what the reindex wrote); then the same mixed requests (one to three words of a real
  title, two-word phrases, a place or country filter, a year range, newest first), each with the
  top 10, every facet, the date histogram and snippets, serialised with orjson; FTS5
  answers the same requests: top 10 by bm25 with snippet(), facet counts by GROUP BY over the
  match set, the histogram by GROUP BY year. p50/p99 of each, and the worker's peak RSS;
- **incremental**: 10,000 articles spread over the corpus get a new title word and a changed first
  paragraph; `dateline reindex` (no --full) is timed;
- **sizes**: the live generation's folder and the FTS5 file.

Then the issue's table, one column per size. Worker processes share the machine with this one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
DATELINE = str(Path(sys.executable).with_name("dateline"))
REQUESTS = 300
CHANGED = 10_000
ANALYSIS_SAMPLE = 5_000
_WORD = re.compile(r"[A-Za-z]{4,}")
_STOP = frozenset(
    "that this with from have will what about after over they their says said were been into than".split()
)


# -- the corpus ---------------------------------------------------------------------------------


def corpus(size: int, work: Path) -> Path:
    folder = work / f"corpus-{size}"
    if not (folder / ".done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([PYTHON, str(ROOT / "bench" / "scale_corpus.py"), str(size), str(folder)], check=True)
        (folder / ".done").write_text("")
    return folder


def records(folder: Path):
    for path in sorted(folder.glob("part-*.jsonl.gz")):
        with gzip.open(path, "rb") as stream:
            for line in stream:
                yield orjson.loads(line)


def words_of(record: dict) -> int:
    return len(record["title"].split()) + sum(len(p.split()) for p in record["body"])


def place_names(record: dict) -> list[str]:
    return [p["name"] if isinstance(p, dict) else p for p in record.get("places", [])]


# -- measuring processes -------------------------------------------------------------------------


class PeakMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(args: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system, every process of the run), peak RSS of the whole
    process tree, and the last lines of the output. On a shared machine the CPU seconds say what
    the run cost when the wall time says mostly how busy the machine was."""
    started, cpu = time.perf_counter(), cpu_of_children()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = PeakMemory(proc.pid)
    out, _ = proc.communicate()
    peak = memory.stop()
    took = time.perf_counter() - started
    if proc.returncode != 0:
        print(out[-3000:])
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode})")
    return took, cpu_of_children() - cpu, peak, "\n".join(out.strip().splitlines()[-4:])


def reindex(folder: Path, index: Path, full: bool) -> tuple[float, float, int, str]:
    args = [DATELINE, "reindex", "--corpus", str(folder), "--index", str(index), "--quiet"]
    return timed_run(args + (["--full"] if full else []))


def analysis_rate(folder: Path) -> float:
    from search.analysis import news_analyzer

    analyzer = news_analyzer()
    texts = []
    for record in records(folder):
        texts.append(record["title"] + "\n\n" + "\n\n".join(record["body"]))
        if len(texts) >= ANALYSIS_SAMPLE:
            break
    words = sum(len(t.split()) for t in texts)
    started = time.perf_counter()
    for text in texts:
        for _ in analyzer(text):
            pass
    return words / (time.perf_counter() - started)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def live_size(index: Path) -> int:
    return folder_size(index / (index / "CURRENT").read_text().strip())


# -- requests ------------------------------------------------------------------------------------


def make_requests(folder: Path, count: int, seed: int = 5) -> list[dict]:
    """Mixed requests from real titles: words, phrases, a place filter, a year range, newest first."""
    rng = random.Random(seed)
    sample = []
    for i, record in enumerate(records(folder)):
        if i % 7 == 0:
            sample.append(record)
        if len(sample) >= count * 3:
            break
    out = []
    for record in rng.sample(sample, count):
        words = [w.lower() for w in _WORD.findall(record["title"]) if w.lower() not in _STOP]
        if not words:
            continue
        kind = rng.random()
        request: dict = {"sort": "relevance"}
        if kind < 0.15 and len(words) >= 2:
            at = rng.randrange(len(words) - 1)
            request["phrase"] = words[at : at + 2]
        else:
            request["words"] = rng.sample(words, min(len(words), rng.choice((1, 1, 2, 2, 3))))
        places = place_names(record)
        if 0.15 <= kind < 0.35 and places:
            request["place"] = rng.choice(places)
        if 0.35 <= kind < 0.45 and record.get("published"):
            year = int(record["published"][:4])
            request["years"] = (year - 1, year)
        if 0.45 <= kind < 0.55:
            request["sort"] = "newest"
        out.append(request)
    return out


def dateline_request(spec: dict):
    from datetime import date

    from search.results import SearchRequest

    q = " ".join(spec.get("words", ())) or '"' + " ".join(spec["phrase"]) + '"'
    filters = {"place": (spec["place"],)} if "place" in spec else {}
    years = spec.get("years")
    return SearchRequest(
        q=q,
        filters=filters,
        date_from=date(years[0], 1, 1) if years else None,
        date_to=date(years[1], 12, 31) if years else None,
        sort=spec["sort"],
    )


def serve_worker(index: Path, requests_path: Path, first_only: bool = False) -> None:
    """Run in a fresh process: open, first answer, then every request (unless `first_only`); prints
    JSON figures."""
    started = time.perf_counter()
    from search.engine.searcher import Searcher

    specs = json.loads(requests_path.read_text())
    searcher = Searcher.open(index)
    orjson.dumps(searcher.search(dateline_request(specs[0])))
    first = time.perf_counter() - started
    if first_only:
        print(json.dumps({"first": first}))
        return
    took = []
    for spec in specs:
        began = time.perf_counter()
        orjson.dumps(searcher.search(dateline_request(spec)))
        took.append(time.perf_counter() - began)
    rss = psutil.Process().memory_info().rss
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
    print(json.dumps({"first": first, "took": took, "rss": rss, "peak": peak}))


# -- SQLite FTS5 ---------------------------------------------------------------------------------

FACETS = ("person", "place", "source", "topic")


def fts_build(folder: Path, db: Path) -> tuple[float, int]:
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    con = sqlite3.connect(db)
    con.executescript(
        """
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE doc(id INTEGER PRIMARY KEY, article TEXT, title TEXT, body TEXT, day TEXT);
        CREATE VIRTUAL TABLE text USING fts5(title, body, content='doc', content_rowid='id',
                                              tokenize='porter unicode61');
        CREATE TABLE facet(doc INTEGER, name TEXT, value TEXT);
        """
    )
    words = 0
    for rowid, record in enumerate(records(folder), 1):
        words += words_of(record)
        body = "\n\n".join(record["body"])
        day = (record.get("published") or "")[:10] or None
        con.execute("INSERT INTO doc VALUES (?,?,?,?,?)", (rowid, record["id"], record["title"], body, day))
        con.execute("INSERT INTO text(rowid, title, body) VALUES (?,?,?)", (rowid, record["title"], body))
        values = [("person", v) for v in record.get("people", [])] + [("place", v) for v in place_names(record)]
        values += [("source", record.get("source") or "")] + (
            [("topic", record["topic"])] if record.get("topic") else []
        )
        con.executemany("INSERT INTO facet VALUES (?,?,?)", [(rowid, n, v) for n, v in values])
    con.executescript(
        "CREATE INDEX facet_doc ON facet(doc); CREATE INDEX facet_value ON facet(name, value); "
        "CREATE INDEX doc_day ON doc(day); ANALYZE;"
    )
    con.commit()
    con.close()
    return time.perf_counter() - started, words


def fts_query(spec: dict) -> str:
    if "phrase" in spec:
        return '"' + " ".join(spec["phrase"]) + '"'
    return " AND ".join(f'"{w}"' for w in spec["words"])


def fts_serve(db: Path, specs: list[dict]) -> list[float]:
    con = sqlite3.connect(db)
    took = []
    for spec in specs:
        began = time.perf_counter()
        where, params = ["text MATCH ?"], [fts_query(spec)]
        if "place" in spec:
            # Unary +: a filter on the full-text matches, not a full-text lookup per listed rowid.
            where.append("+rowid IN (SELECT doc FROM facet WHERE name = 'place' AND value = ?)")
            params.append(spec["place"])
        if "years" in spec:
            where.append("+rowid IN (SELECT id FROM doc WHERE day BETWEEN ? AND ?)")
            params += [f"{spec['years'][0]}-01-01", f"{spec['years'][1]}-12-31"]
        matched = f"SELECT rowid FROM text WHERE {' AND '.join(where)}"
        order = "bm25(text)" if spec["sort"] == "relevance" else "(SELECT day FROM doc WHERE id = text.rowid) DESC"
        top = con.execute(
            f"SELECT rowid, title, snippet(text, 1, '<b>', '</b>', '…', 24) FROM text "
            f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 10",
            params,
        ).fetchall()
        # The match set once, keyed; then facet rows and days looked up hit by hit (CROSS JOIN keeps
        # SQLite from scanning the whole facet table instead).
        con.execute("CREATE TEMP TABLE hits(doc INTEGER PRIMARY KEY)")
        con.execute(f"INSERT INTO hits {matched}", params)
        facets = con.execute(
            "SELECT name, value, count(*) AS n FROM hits CROSS JOIN facet ON facet.doc = hits.doc GROUP BY name, value"
        ).fetchall()
        dates = con.execute(
            "SELECT substr(day, 1, 4), count(*) FROM hits CROSS JOIN doc ON doc.id = hits.doc GROUP BY 1"
        ).fetchall()
        con.execute("DROP TABLE hits")
        orjson.dumps({"top": top, "facets": facets, "dates": dates})
        took.append(time.perf_counter() - began)
    con.close()
    return took


# -- incremental ---------------------------------------------------------------------------------


def change_articles(folder: Path, count: int) -> int:
    """Changes `count` articles spread evenly over the corpus (title and first paragraph); rewrites their files."""
    paths = sorted(folder.glob("part-*.jsonl.gz"))
    total = sum(1 for _ in records(folder))
    step = max(1, total // count)
    changed, number = 0, 0
    for path in paths:
        with gzip.open(path, "rb") as stream:
            lines = stream.read().splitlines()
        for i, line in enumerate(lines):
            if number % step == 0 and changed < count:
                record = orjson.loads(line)
                record["title"] = "Updated: " + record["title"]
                record["body"][0] = record["body"][0] + " (This article was corrected.)"
                lines[i] = orjson.dumps(record)
                changed += 1
            number += 1
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1, mtime=0))
    return changed


# -- the run -------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


STEPS = ("build", "fts", "serve", "incremental")


def measure(size: int, work: Path, steps: tuple[str, ...]) -> dict:
    """The figures of one size: those of the steps run now over those saved by earlier runs."""
    folder = corpus(size, work)
    index, db = work / f"index-{size}", work / f"fts-{size}.sqlite"
    saved = work / f"figures-{size}.json"
    figures: dict = json.loads(saved.read_text()) if saved.exists() else {}
    if "build" in steps:  # a new index: what was measured on the old one no longer holds (FTS5's figures do)
        figures = {key: value for key, value in figures.items() if key.startswith("fts_")}
    figures["size"] = size
    print(f"\n== {size:,} articles ({folder})", flush=True)

    if "build" in steps:
        shutil.rmtree(index, ignore_errors=True)
        took, cpu, peak, summary = reindex(folder, index, full=True)
        words = sum(words_of(r) for r in records(folder))
        figures.update(build_s=took, build_cpu=cpu, words=words, build_wps=words / took, build_peak=peak)
        print(
            f"rebuild: {took:.0f} s, {words / took:,.0f} words/s ({cpu:.0f} CPU s: {2 * words / cpu:,.0f} words/s "
            f"if it had both cores), peak {peak / 2**30:.2f} GB\n{summary}",
            flush=True,
        )
        figures["nltk_wps"] = analysis_rate(folder)
        print(f"NLTK analysis alone: {figures['nltk_wps']:,.0f} words/s", flush=True)
        figures["index_size"] = live_size(index)
    if "fts" in steps:
        fts_took, words = fts_build(folder, db)
        figures.update(fts_build_s=fts_took, fts_wps=words / fts_took, fts_size=db.stat().st_size)
        print(f"FTS5 build: {fts_took:.0f} s, {words / fts_took:,.0f} words/s", flush=True)
    if "serve" in steps:
        specs = make_requests(folder, REQUESTS)
        requests_path = work / f"requests-{size}.json"
        requests_path.write_text(json.dumps(specs))

        def worker(*flags: str) -> dict:
            args = [PYTHON, __file__, "--serve-worker", str(index), str(requests_path), *flags]
            out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        # The first process to open a commit maps the columns the reindex saved (search.index.columns),
        # or builds them when an older reindex did not.
        figures["first_after_reindex"] = worker("--first-only")["first"]
        served = worker()
        fts_took_each = fts_serve(db, specs)
        figures.update(
            p50=percentile(served["took"], 0.5) * 1000,
            p99=percentile(served["took"], 0.99) * 1000,
            fts_p50=percentile(fts_took_each, 0.5) * 1000,
            fts_p99=percentile(fts_took_each, 0.99) * 1000,
            worker_rss=served["peak"],
            first=served["first"],
        )
        print(
            f"serving ({len(specs)} requests): p50 {figures['p50']:.1f} ms p99 {figures['p99']:.1f} ms; "
            f"FTS5 p50 {figures['fts_p50']:.1f} ms p99 {figures['fts_p99']:.1f} ms; worker peak RSS "
            f"{served['peak'] / 2**30:.2f} GB (at the end {served['rss'] / 2**30:.2f} GB); "
            f"first answer {served['first']:.1f} s ({figures['first_after_reindex']:.1f} s for the first process "
            "after the reindex)",
            flush=True,
        )
    if "incremental" in steps:
        changed = change_articles(folder, CHANGED)
        (folder / ".done").unlink()  # the corpus is no longer the pristine one: made again next time
        took, cpu, peak, summary = reindex(folder, index, full=False)
        figures.update(incremental_s=took, incremental_cpu=cpu, incremental_peak=peak, changed=changed)
        print(
            f"incremental reindex of {changed:,} changed articles: {took:.0f} s ({cpu:.0f} CPU s)\n{summary}",
            flush=True,
        )
    saved.write_text(json.dumps(figures))
    return figures


def table(rows: list[dict]) -> None:
    def gb(n: float) -> str:
        return f"{n / 2**30:.2f} GB"

    def shown(show, row: dict) -> str:
        try:
            return show(row)
        except KeyError:
            return "not run"

    first = rows[0]
    lines = [
        ("rebuild with supplied entities, words/s end to end", lambda r: f"{r['build_wps']:,.0f}"),
        (
            "  words × 2 cores ÷ CPU seconds of the run (upper bound)",
            lambda r: f"{2 * r['words'] / r['build_cpu']:,.0f}",
        ),
        ("  NLTK analysis alone, words/s", lambda r: f"{r['nltk_wps']:,.0f}"),
        ("  FTS5 build, words/s", lambda r: f"{r['fts_wps']:,.0f}"),
        ("query p50 / p99 (top 10 + facets + histogram + snippets)", lambda r: f"{r['p50']:.1f} / {r['p99']:.1f} ms"),
        ("  FTS5 p50 / p99", lambda r: f"{r['fts_p50']:.1f} / {r['fts_p99']:.1f} ms"),
        (f"p50 growth from {first['size']:,}", lambda r: f"{r['p50'] / first['p50']:.1f}×"),
        ("p50 ÷ FTS5 p50", lambda r: f"{r['p50'] / r['fts_p50']:.1f}×"),
        ("serving memory (peak RSS of one worker)", lambda r: gb(r["worker_rss"])),
        ("rebuild peak memory (all processes)", lambda r: gb(r["build_peak"])),
        ("open (first answer after start)", lambda r: f"{r['first']:.1f} s"),
        ("  the first process after the reindex", lambda r: f"{r['first_after_reindex']:.1f} s"),
        (
            "incremental reindex of 10,000 changed articles",
            lambda r: f"{r['incremental_s']:.0f} s ({r['incremental_cpu']:.0f} CPU s)",
        ),
        ("index size on disk (FTS5)", lambda r: f"{gb(r['index_size'])} ({gb(r['fts_size'])})"),
    ]
    print("\n| figure | " + " | ".join(f"{r['size']:,}" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for label, show in lines:
        print(f"| {label} | " + " | ".join(shown(show, r) for r in rows) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/dateline-scale"), help="corpora, indexes, FTS5 files")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="comma-separated, of " + ", ".join(STEPS) + " (the others' figures come from WORK's earlier runs)",
    )
    parser.add_argument("--serve-worker", nargs=2, type=Path, metavar=("INDEX", "REQUESTS"), help=argparse.SUPPRESS)
    parser.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_worker:
        serve_worker(*args.serve_worker, first_only=args.first_only)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    steps = tuple(args.steps.split(","))
    rows = [measure(size, args.work, steps) for size in args.sizes]
    print(
        f"\n.venv/bin/python bench/scale.py {' '.join(str(s) for s in args.sizes)} --work {args.work} --steps {args.steps}"
    )
    table(rows)
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
