"""Memory of a reindex over hostile files: the peak RSS of `dateline reindex` (all its processes)
over a corpus of good articles alone, then with one huge file added, per format; and the size of
the state that grows with the corpus.

    .venv/bin/python bench/hostile_memory.py [--size-mb 1024] [--formats jsonl,csv,sgm] [--rows 200000]

The huge files are generated at run time in a temporary folder (deleted afterwards):
  jsonl  one line of SIZE MB (one record whose body never ends)
  csv    a header, then one row of SIZE MB
  sgm    one <REUTERS> story of SIZE MB that is never closed
Prints figures only; on a shared machine they are indicative.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.settings import PROJECT_ROOT  # noqa: E402

CHUNK = b"Floodwater rose again in Sylhet and the river kept climbing. " * 16_384  # ~1 MB


def write_huge(path: Path, kind: str, size_mb: int) -> None:
    with path.open("wb") as file:
        if kind == "jsonl":
            file.write(b'{"title": "Endless record", "body": "')
        elif kind == "csv":
            file.write(b"title,content\nEndless row,")
        else:
            file.write(b'<REUTERS NEWID="1"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Endless</TITLE><BODY>')
        for _ in range(size_mb):
            file.write(CHUNK)
        if kind == "jsonl":
            file.write(b'"}\n')


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        stack.extend(int(c) for c in children)
    return total


def reindex_peak(corpus: Path, index_dir: Path) -> tuple[int, float, str]:
    """(peak RSS of the process tree in KiB, seconds, the summary's first line)."""
    command = "import sys; from search.cli import main; sys.exit(main(sys.argv[1:]))"
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            command,
            "reindex",
            "--corpus",
            str(corpus),
            "--index",
            str(index_dir),
            "--workers",
            "2",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kib(process.pid))
        time.sleep(0.05)
    out = process.stdout.read() if process.stdout else ""
    seconds = time.perf_counter() - started
    first = out.splitlines()[0] if out else f"exit status {process.returncode}"
    return peak, seconds, first


def corpus_state(folder: Path, rows: int) -> list[str]:
    """What grows with the corpus, measured on generated data."""
    from search.index.manifest import CACHE_KIB
    from search.readers import ReadOptions
    from search.readers.csv_files import best_rows

    lines = []
    csv_path = folder / "many.csv"
    with csv_path.open("w") as file:
        file.write("url,title,date,content\n")
        for n in range(rows):
            file.write(f"https://example.org/{n},Story {n},01 Apr 2024 10:00 AM,Body {n}.\n")
    tracemalloc.start()
    best = best_rows([str(csv_path)], ReadOptions(), lambda name: open(name, "rb"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = len(best)
    db_size = sum(p.stat().st_size for p in Path(best._folder.name).iterdir())
    best.close()
    lines.append(
        f"CSV duplicate table: {kept:,} ids, {peak / 2**20:.1f} MB of Python memory at peak "
        f"(SQLite page cache capped at {best.CACHE_KIB // 1024} MB), {db_size / 2**20:.1f} MB on disk"
    )
    from search.index.manifest import RunState

    tracemalloc.start()
    state = RunState()
    path = str(folder / "some" / "file.jsonl")
    for n in range(rows):
        state.add_seen(f"{n:016x}", f"{n:032x}", path)
    for n in range(0, rows, 7):
        state.previous_hash(f"{n:016x}")
    documents = state.count()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    disk = Path(state.db.execute("PRAGMA database_list").fetchone()[2]).stat().st_size
    state.close()
    lines.append(
        f"reindex run state (manifest of {documents:,} articles read): {peak / 2**20:.1f} MB of Python memory "
        f"at peak, {disk / documents:.0f} bytes per article on disk (SQLite page cache capped at "
        f"{CACHE_KIB // 1024} MB)"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="size of each huge file (default 1024)")
    parser.add_argument("--formats", default="jsonl,csv,sgm")
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the corpus-state figures")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dateline-hostile-"))
    try:
        corpus, index_dir = folder / "corpus", folder / "index"
        corpus.mkdir()
        shutil.copy(PROJECT_ROOT / "corpus" / "sample_articles.jsonl", corpus / "sample_articles.jsonl")
        peak, seconds, summary = reindex_peak(corpus, index_dir)  # also fills the entity cache
        peak, seconds, summary = reindex_peak(corpus, index_dir)
        print(f"good articles only:        peak RSS {peak / 1024:7.0f} MB  {seconds:5.1f} s  | {summary}")
        for kind in args.formats.split(","):
            huge = corpus / f"huge.{kind}"
            write_huge(huge, kind, args.size_mb)
            size = huge.stat().st_size
            peak_with, seconds, summary = reindex_peak(corpus, index_dir)
            print(
                f"+ {size / 2**20:,.0f} MB one-record .{kind}: peak RSS {peak_with / 1024:7.0f} MB "
                f"(+{(peak_with - peak) / 1024:.0f} MB)  {seconds:5.1f} s  | {summary}"
            )
            huge.unlink()
        for line in corpus_state(folder, args.rows):
            print(line)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
