"""Reader throughput on Reuters-21578: articles per second (best and median of several runs).

    .venv/bin/python bench/read_corpus.py [PATH] [--runs N]

PATH defaults to ../shared/corpus/reuters21578 beside the repository. Prints figures only;
on a shared machine they are indicative.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.article import Article  # noqa: E402
from search.readers import read_corpus  # noqa: E402
from search.settings import PROJECT_ROOT  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "path", nargs="?", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus" / "reuters21578"
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.path.exists():
        print(f"read_corpus bench: {args.path} does not exist", file=sys.stderr)
        return 0
    rates, cpu_rates = [], []
    articles = problems = 0
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        articles = problems = 0
        for item in read_corpus([args.path]):
            if isinstance(item, Article):
                articles += 1
            else:
                problems += 1
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        rates.append(articles / elapsed)
        cpu_rates.append(articles / cpu)
        print(
            f"  run: {articles:,} articles, {problems:,} problems in {elapsed:.2f} s = {articles / elapsed:,.0f} "
            f"articles/s ({articles / cpu:,.0f} per CPU second)"
        )
    print(
        f"{args.path}: {articles:,} articles; best {max(rates):,.0f} articles/s, "
        f"median {statistics.median(rates):,.0f} articles/s over {args.runs} runs "
        f"(per CPU second: best {max(cpu_rates):,.0f}, median {statistics.median(cpu_rates):,.0f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
