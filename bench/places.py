"""Place facets on real news: quality and the gazetteer's memory. Prints figures; asserts nothing.

  .venv/bin/python bench/places.py [--reuters-files N] [--workers N] [--errors] [--predictions FILE]

(a) the hand-annotated dev set (../shared/eval/entities/dev.jsonl, 80 articles of Dhaka Tribune,
    BBC News and AllSides) read through Dateline's own readers, extracted by Dateline, and
    scored by the set's own score.py: place P/R/F1 and country accuracy per corpus (its person
    columns are printed too; bench/entities.py is the people bench);
(b) Reuters-21578: the countries of our places against the stories' gold PLACES tags
    (precision, recall), as bench/index.py (d) measures them, without building an index;
(c) memory: RSS that loading the gazetteer (countries in memory, the place table on disk)
    adds to a fresh process, which is what every entity worker pays;
(d) speed: extraction docs/s on Reuters, and the share of it spent resolving places
    (measured in this process on the first --cost-docs stories, one process).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.article import Article  # noqa: E402
from search.entities.extract import EntityExtractor  # noqa: E402
from search.entities.places import reuters_place_code  # noqa: E402
from search.readers import read_corpus, read_file  # noqa: E402
from search.settings import PROJECT_ROOT  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared"
EVAL = SHARED / "eval" / "entities"
DHAKA_TRIBUNE = SHARED / "corpus" / "dhakatribune" / "dhakatribune_news_raw.csv"
BBC = SHARED / "corpus" / "bbc_news" / "news"
ALLSIDES = SHARED / "corpus" / "allsides" / "articles.jsonl.gz"
REUTERS = SHARED / "corpus" / "reuters21578"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuters-files", type=int, default=None, help="only the first N reut2-*.sgm files")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--errors", action="store_true", help="score.py's list of misses and wrong countries")
    parser.add_argument("--predictions", type=Path, default=None, help="also keep the dev predictions here")
    parser.add_argument("--cost-docs", type=int, default=2000, help="Reuters stories for (d)")
    args = parser.parse_args()
    if not (EVAL / "dev.jsonl").exists():
        print(f"no gold set at {EVAL}", file=sys.stderr)
        return 0

    print(f"(c) gazetteer: {_gazetteer_rss_mb():.1f} MB of RSS added by loading it in a fresh process")
    with EntityExtractor(workers=args.workers) as extractor:
        print("\n(a) dev set, scored by ../shared/eval/entities/score.py")
        _score_dev_set(extractor, args.errors, args.predictions)
        files = sorted(REUTERS.glob("reut2-*.sgm"))[: args.reuters_files]
        if files:
            precision, recall, stories = _reuters_agreement(extractor, files)
            print(
                f"\n(b) Reuters-21578 ({len(files)} files): countries vs gold PLACES over {stories} stories "
                f"with PLACES: precision {precision:.3f}, recall {recall:.3f}"
            )
            if args.cost_docs > 0:
                _resolution_cost(files, args.cost_docs)
    return 0


def _gold() -> list[dict]:
    with open(EVAL / "dev.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _dev_articles(gold: list[dict]) -> Iterator[tuple[str, str, Article]]:
    """(corpus, key, article) for every gold article, read by Dateline's readers."""
    keys = {(g["corpus"], g["key"]) for g in gold}
    dt_keys = {key for corpus, key in keys if corpus == "dhakatribune"}
    for item in read_file(DHAKA_TRIBUNE):
        # The gold key is the 0-based data row; the reader counts records from 1.
        if isinstance(item, Article) and item.origin.record is not None and str(item.origin.record - 1) in dt_keys:
            yield "dhakatribune", str(item.origin.record - 1), item
    for corpus, key in sorted(keys):
        if corpus == "bbc_news":
            for item in read_file(BBC / key):
                if isinstance(item, Article):
                    yield corpus, key, item
    wanted = {key for corpus, key in keys if corpus == "allsides"}
    with tempfile.TemporaryDirectory(prefix="dateline-places-") as scratch:
        # The selected AllSides records as a plain JSONL file, whatever compression the readers take.
        path = Path(scratch) / "allsides.jsonl"
        ids: list[str] = []
        with gzip.open(ALLSIDES, "rt", encoding="utf-8") as source, open(path, "w", encoding="utf-8") as out:
            for line in source:
                record = json.loads(line)
                if record.get("id") in wanted:
                    ids.append(record["id"])
                    out.write(line)
        articles = [item for item in read_file(path) if isinstance(item, Article)]
        for record_id, article in zip(ids, articles, strict=True):
            yield "allsides", record_id, article


def _score_dev_set(extractor: EntityExtractor, errors: bool, keep: Path | None) -> None:
    gold = _gold()
    read = list(_dev_articles(gold))
    if len(read) != len(gold):
        print(f"    note: read {len(read)} of the {len(gold)} gold articles")
    with tempfile.TemporaryDirectory(prefix="dateline-places-") as scratch:
        predictions = keep or Path(scratch) / "pred.jsonl"
        with open(predictions, "w", encoding="utf-8") as out:
            for (corpus, key, _), entities in zip(read, extractor.extract_many(a for _, _, a in read), strict=True):
                out.write(
                    json.dumps(
                        {
                            "corpus": corpus,
                            "key": key,
                            "people": list(entities.people),
                            "places": [{"name": p.name, "country": p.country or ""} for p in entities.places],
                        }
                    )
                    + "\n"
                )
        command = [sys.executable, str(EVAL / "score.py"), str(predictions)] + (["--errors"] if errors else [])
        print(subprocess.run(command, capture_output=True, text=True, check=False).stdout)


def _reuters_agreement(extractor: EntityExtractor, files: list[Path]) -> tuple[float, float, int]:
    articles = [a for a in read_corpus(files) if isinstance(a, Article) and a.source_metadata.get("places")]
    hits = predicted = gold_total = 0
    for article, entities in zip(articles, extractor.extract_many(articles), strict=True):
        gold = set(article.source_metadata.get("places") or ())
        found = {reuters_place_code(country) for country in entities.countries}
        hits += len(found & gold)
        predicted += len(found)
        gold_total += len(gold)
    return (hits / predicted if predicted else 0.0, hits / gold_total if gold_total else 0.0, len(articles))


def _resolution_cost(files: list[Path], limit: int) -> None:
    """Seconds of one-process extraction, and how many of them resolving places took."""
    import time

    from search.entities import places

    articles = [a for a in read_corpus(files) if isinstance(a, Article)][:limit]
    spent = [0.0]
    resolve_all = places.Gazetteer.resolve_all

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return resolve_all(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    places.Gazetteer.resolve_all = timed  # type: ignore[method-assign]
    try:
        with EntityExtractor(workers=1) as extractor:
            started = time.perf_counter()
            for _ in extractor.extract_many(articles):
                pass
            total = time.perf_counter() - started
    finally:
        places.Gazetteer.resolve_all = resolve_all  # type: ignore[method-assign]
    print(
        f"(d) {len(articles)} Reuters stories in one process: {len(articles) / total:.0f} docs/s; "
        f"resolving places {spent[0]:.2f} s of {total:.1f} s ({100 * spent[0] / total:.1f}%, "
        f"{1e6 * spent[0] / len(articles):.0f} µs per story)"
    )


def _gazetteer_rss_mb() -> float:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "import search.entities.places as places\n"
        "before = rss(); gaz = places.gazetteer(); gaz.resolve('Gulshan', {'Bangladesh'})\n"
        "print((rss() - before) / 1e6)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(PROJECT_ROOT)], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
