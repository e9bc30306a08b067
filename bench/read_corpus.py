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
    parser.add_argument("path", nargs="?", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus" / "reuters21578")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.path.exists():
        print(f"read_corpus bench: {args.path} does not exist", file=sys.stderr)
        return 0
    rates = []
    articles = problems = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        articles = problems = 0
        for item in read_corpus([args.path]):
            if isinstance(item, Article):
                articles += 1
            else:
                problems += 1
        elapsed = time.perf_counter() - start
        rates.append(articles / elapsed)
        print(f"  run: {articles:,} articles, {problems:,} problems in {elapsed:.2f} s = {articles / elapsed:,.0f} articles/s")
    print(f"{args.path}: {articles:,} articles; best {max(rates):,.0f} articles/s, "
          f"median {statistics.median(rates):,.0f} articles/s over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
