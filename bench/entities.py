"""People and places facets on real news: quality, integrity and speed. Prints figures; asserts nothing.

    .venv/bin/python bench/entities.py [--work DIR] [--allsides-every N] [--workers N] [--speed-docs N]

One real index of the combined real corpora in ../shared (pages, bdnews24, dhakatribune,
bbc_news, reuters21578 and a sample of allsides), built with `reindex` into --work (kept, with
its entity cache of raw spaCy spans, so a second run reruns no model), then:

  (1) the hand-annotated gold set eval/entities/dev.jsonl (80 articles: dhakatribune, bbc_news,
      allsides; all of them are in the index): person P/R/F1, place P/R/F1 and country accuracy
      per corpus and overall, scored by its own score.py, on what the facets show (the stored
      places; the person column after the corpus-level name map). The article-level people
      (before the name map) are scored too, on the line "article-level";
  (2) Reuters-21578: document-level agreement of our facets with the gold PEOPLE tags (a tag such
      as "reagan" or "james-baker" agrees with a value holding all its words) and PLACES tags
      (our countries as Reuters codes), over the stories that carry such tags: precision, recall;
  (3) a facet-integrity table for 20 well-known people and places: articles that name them (text
      match of their name forms, whole words: an upper bound, since "Trump" also matches "Trump
      Tower" and Donald Trump Jr.), articles their facet value finds, and how many distinct facet
      values belong to them (values spelled like one of their forms, or holding their full name:
      "Begum Khaleda Zia", "George W. Bush Administration"; a surname alone of years in which the
      person's value finds nothing is listed as kept apart, not counted);
  (4) speed: Dateline's whole extraction on Reuters stories (no cache, load average printed);
      on long AllSides articles: spaCy's NER alone (the same pipes, nlp.pipe over the whole
      paragraphs, no rules) against Dateline's whole extraction (text selection, spaCy, every
      rule), both on --workers processes; the cost of the rules alone (cooking cached spans);
      and the time and size of the corpus-level name map.

AllSides: 37,554 long articles take 30+ minutes of spaCy on two cores, so the index holds a
deterministic sample: every --allsides-every'th record in file order (default 10) plus the 25
allsides articles of the gold set. The other corpora are whole.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from search.article import Article, Origin  # noqa: E402
from search.entities.english import is_english_word  # noqa: E402
from search.entities.people import (  # noqa: E402
    FEMALE_TITLES,
    GOVERNMENT_OF,
    MALE_TITLES,
    NAME_SUFFIXES,
    TITLE_WORDS,
    is_title_case,
    name_key,
)
from search.entities.places import reuters_place_code  # noqa: E402
from search.index.columns import Collection  # noqa: E402
from search.index.indexer import reindex  # noqa: E402
from search.index.schema import StoredArticle  # noqa: E402
from search.readers import ReadOptions, read_corpus  # noqa: E402
from search.readers.jsonl import article_from_record  # noqa: E402
from search.settings import PROJECT_ROOT  # noqa: E402

SHARED = Path(os.environ.get("DATELINE_SHARED", PROJECT_ROOT.parent / "shared"))
GOLD = SHARED / "eval" / "entities" / "dev.jsonl"
SCORER = SHARED / "eval" / "entities" / "score.py"
ALLSIDES = SHARED / "corpus" / "allsides" / "articles.jsonl.gz"
CORPORA = ("pages", "bdnews24", "dhakatribune", "bbc_news", "reuters21578")

# (what, facet, the value to tick, name forms written in articles)
WATCHED = (
    ("Khaleda Zia", "person", "Khaleda Zia", ("Khaleda Zia", "Khaleda")),
    ("Sheikh Hasina", "person", "Sheikh Hasina", ("Sheikh Hasina", "Hasina")),
    ("Muhammad Yunus", "person", "Muhammad Yunus", ("Muhammad Yunus", "Yunus")),
    ("Mirza Fakhrul Islam Alamgir", "person", "Mirza Fakhrul Islam Alamgir", ("Mirza Fakhrul", "Fakhrul")),
    ("Tarique Rahman", "person", "Tarique Rahman", ("Tarique Rahman", "Tarique")),
    ("Ronald Reagan", "person", "Ronald Reagan", ("Ronald Reagan", "Reagan")),
    ("Tony Blair", "person", "Tony Blair", ("Tony Blair", "Blair")),
    ("Gordon Brown", "person", "Gordon Brown", ("Gordon Brown",)),
    ("George W. Bush", "person", "George W. Bush", ("George W. Bush", "George W Bush")),
    ("Barack Obama", "person", "Barack Obama", ("Barack Obama", "Obama")),
    ("Donald Trump", "person", "Donald Trump", ("Donald Trump", "Trump")),
    ("Hillary Clinton", "person", "Hillary Clinton", ("Hillary Clinton", "Hillary Rodham Clinton")),
    ("Vladimir Putin", "person", "Vladimir Putin", ("Vladimir Putin", "Putin")),
    ("Dhaka", "place", "Dhaka", ("Dhaka",)),
    ("Chittagong", "place", "Chittagong", ("Chittagong", "Chattogram")),
    ("Gulshan", "place", "Gulshan", ("Gulshan",)),
    ("Cox's Bazar", "place", "Cox's Bazar", ("Cox's Bazar",)),
    ("Sylhet", "place", "Sylhet", ("Sylhet",)),
    ("London", "place", "London", ("London",)),
    ("Tokyo", "place", "Tokyo", ("Tokyo",)),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "dateline-bench-entities",
        help="index, entity cache and the AllSides sample live here between runs",
    )
    parser.add_argument("--allsides-every", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--speed-docs", type=int, default=300, help="long AllSides articles timed in (4)")
    parser.add_argument("--reuters-docs", type=int, default=3000, help="Reuters stories timed in (4)")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    for path in (GOLD, SCORER, ALLSIDES):
        if not path.exists():
            print(f"missing: {path}", file=sys.stderr)
            return 0
    gold = [orjson.loads(line) for line in GOLD.read_bytes().splitlines() if line.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    sample = args.work / "allsides-sample.jsonl"
    dev_ids = {g["key"] for g in gold if g["corpus"] == "allsides"}
    sampled = write_allsides_sample(sample, args.allsides_every, dev_ids)
    corpus = [SHARED / "corpus" / name for name in CORPORA] + [sample]
    print(
        f"corpora: {', '.join(CORPORA)}, allsides sample of {sampled} (every {args.allsides_every}th record "
        f"+ the gold set's); workers {args.workers}; load average {os.getloadavg()[0]:.2f}"
    )

    started = time.perf_counter()
    report = reindex(corpus, args.work / "index", workers=args.workers)
    print(f"reindex: {report.summary()[0]}")
    print(f"         {report.summary()[1] if len(report.summary()) > 1 else ''}")
    print(f"         wall {time.perf_counter() - started:.0f} s")

    import whoosh.index

    from search.index import store

    generation = store.current_generation(args.work / "index")
    ix = whoosh.index.open_dir(str(generation.path))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        started = time.perf_counter()
        collection = Collection.from_reader(reader)
        columns_s = time.perf_counter() - started
        stored = {docnum: StoredArticle.from_stored(fields) for docnum, fields in reader.iter_docs()}
    person = collection.facets["person"]
    raw_people = {value for article in stored.values() for value in article.facets["person"]}
    print(
        f"facet columns built in {columns_s:.1f} s for {collection.size} articles: "
        f"{len(raw_people)} stored person forms -> {len(person.labels)} person values "
        f"({len(person.aliases)} forms shown as another value)"
    )

    dev_quality(gold, collection, stored, args.work)
    reuters_agreement(collection, stored)
    integrity(collection, stored)
    if not args.skip_speed:
        reuters_speed(args.reuters_docs, args.workers)
        speed(args.speed_docs, args.workers)
    return 0


def write_allsides_sample(path: Path, every: int, dev_ids: set[str]) -> int:
    """Every `every`th AllSides record plus the gold set's, as Dateline JSON Lines (written once)."""
    marker = path.with_suffix(f".every{every}")
    if path.exists() and marker.exists():
        return sum(1 for _ in path.open("rb"))
    count = 0
    with gzip.open(ALLSIDES, "rb") as source, path.open("wb") as out:
        for number, line in enumerate(source):
            record = orjson.loads(line)
            if number % every and record["id"] not in dev_ids:
                continue
            out.write(orjson.dumps(allsides_record(record)) + b"\n")
            count += 1
    marker.touch()
    return count


def allsides_record(record: dict) -> dict:
    """An AllSides record in Dateline's JSON Lines fields: paragraphs are its lines."""
    return {
        "id": record["id"],
        "title": record.get("title") or "",
        "source": record.get("source") or "",
        "published": record.get("published"),
        "url": record.get("url"),
        "body": [p.strip() for p in (record.get("body") or "").split("\n") if p.strip()],
    }


# --- (1) the gold set -------------------------------------------------------------------------


def gold_article_ids(gold: list[dict]) -> dict[tuple[str, str], str]:
    """(corpus, key) of the gold set -> the id the index gives that article."""
    wanted = {(g["corpus"], g["key"]) for g in gold}
    ids: dict[tuple[str, str], str] = {}
    for article in read_corpus([SHARED / "corpus" / "dhakatribune" / "dhakatribune_news_raw.csv"]):
        if isinstance(article, Article) and ("dhakatribune", str(article.origin.record - 1)) in wanted:
            ids[("dhakatribune", str(article.origin.record - 1))] = article.id
    for corpus, key in wanted:
        if corpus == "bbc_news":
            for article in read_corpus([SHARED / "corpus" / "bbc_news" / "news" / key]):
                if isinstance(article, Article):
                    ids[(corpus, key)] = article.id
        elif corpus == "allsides":
            ids[(corpus, key)] = key
    return ids


def dev_quality(gold: list[dict], collection: Collection, stored: dict, work: Path) -> None:
    ids = gold_article_ids(gold)
    person = collection.facets["person"]
    shown = work / "dev-pred.jsonl"
    article_level = work / "dev-pred-article-level.jsonl"
    with shown.open("wb") as out, article_level.open("wb") as out_raw:
        for (corpus, key), article_id in sorted(ids.items()):
            docnum = collection.docnum_of.get(article_id)
            if docnum is None:
                continue
            fields = stored[docnum]
            places = [{"name": p.name, "country": p.country or ""} for p in fields.places]
            people = [person.labels[v] for v in person.value_of[person.doc_of == docnum].tolist()]
            out.write(orjson.dumps({"corpus": corpus, "key": key, "people": people, "places": places}) + b"\n")
            out_raw.write(
                orjson.dumps({"corpus": corpus, "key": key, "people": list(fields.facets["person"]), "places": places})
                + b"\n"
            )
    print(f"\n(1) gold set {GOLD} ({len(ids)} of {len(gold)} articles found in the index), facets as shown:")
    print(_score(shown))
    lines = _score(article_level).splitlines()
    print(
        "    article-level people (before the corpus-level name map): "
        + " ".join(lines[-1].split("|")[1].split()[:3])
        + " (P R F1, ALL)"
    )


def _score(predictions: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(SCORER), str(predictions), "--gold", str(GOLD)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "    " + (result.stdout or result.stderr).strip().replace("\n", "\n    ")


# --- (2) Reuters gold tags --------------------------------------------------------------------


def reuters_agreement(collection: Collection, stored: dict) -> None:
    person = collection.facets["person"]
    people_of: dict[int, list[str]] = {}
    for doc, value in zip(person.doc_of.tolist(), person.value_of.tolist()):
        people_of.setdefault(doc, []).append(person.labels[value])
    counts = Counter()
    for article in read_corpus([SHARED / "corpus" / "reuters21578"]):
        if not isinstance(article, Article):
            continue
        docnum = collection.docnum_of.get(article.id)
        if docnum is None:
            continue
        gold_people = [tag.split("-") for tag in article.source_metadata.get("people") or ()]
        if gold_people:
            ours = [name_key(value).split() for value in people_of.get(docnum, [])]
            counts["people_docs"] += 1
            counts["people_gold"] += len(gold_people)
            counts["people_found"] += sum(1 for tag in gold_people if any(set(tag) <= set(v) for v in ours))
            counts["people_ours"] += len(ours)
            counts["people_right"] += sum(1 for v in ours if any(set(tag) <= set(v) for tag in gold_people))
        gold_places = set(article.source_metadata.get("places") or ())
        if gold_places:
            ours_places = {reuters_place_code(c) for c in stored[docnum].facets["country"]}
            counts["places_docs"] += 1
            counts["places_gold"] += len(gold_places)
            counts["places_found"] += len(gold_places & ours_places)
            counts["places_ours"] += len(ours_places)
            counts["places_right"] += len(ours_places & gold_places)
    print("\n(2) Reuters-21578, our facets vs the gold tags, per story:")
    for what in ("people", "places"):
        precision = counts[f"{what}_right"] / max(1, counts[f"{what}_ours"])
        recall = counts[f"{what}_found"] / max(1, counts[f"{what}_gold"])
        print(
            f"    {what.upper():<7} over {counts[f'{what}_docs']:>6} stories with tags: "
            f"precision {precision:.3f} ({counts[f'{what}_right']}/{counts[f'{what}_ours']}), "
            f"recall {recall:.3f} ({counts[f'{what}_found']}/{counts[f'{what}_gold']})"
        )
    print("    (Reuters tags name only the story's main people, so person precision is a lower bound.)")


# --- (3) facet integrity ----------------------------------------------------------------------


# A place's name as a word of a longer proper name does not name that place: "Dhaka Tribune",
# "Dhaka University", "Chittagong Hill Tracts" (a region), "East London" (South Africa), "Greater
# London", "New London", "City of London" (other places, kept as values of their own).
_NAME_BEFORE = re.compile(r"(?:\b([A-Z][\w'’.-]*)|\bCity of)\s$")
_NAME_AFTER = re.compile(r"\s[A-Z]")
_OPENERS = frozenset("In At From To And Of The For On By With Near Across Outside Around Inside Into Via".split())


def _names_the_place(text: str, match: re.Match) -> bool:
    before = _NAME_BEFORE.search(text, max(0, match.start() - 40), match.start())
    if before is not None and (before.group(1) is None or before.group(1) not in _OPENERS):
        return False
    return _NAME_AFTER.match(text, match.end()) is None


# A surname alone after another given name names someone else: "Selma Blair", "Michelle Obama",
# "Robert Blair" are not Tony Blair or Barack Obama. A title ("Mr Blair", "President Obama"), the
# person's own given name, or a word that opens a sentence or title before it still names them.
_WORD_BEFORE = re.compile(r"([A-Z][\w'’-]*)[ \t]$")
# Who else a surname alone may name, for any person (changed in issue 9, after the rule above):
# a capitalised word right after it on the same line, with no title before it, makes it part of
# another name ("Blair Witch Project", "Blair House"; "Obama's", "the Obama administration", "the
# Reagan Administration", "the Obama White House", "President Obama Tuesday" still name him); a
# woman's title before the surname of a man names someone else ("Mrs Blair", Cherie), and a man's
# title before a woman's ("Mr. Clinton"); and in an article whose prose writes the surname after
# another given name ("Robert Blair", "Michelle Obama": a capitalised word that is no English word,
# title or own given name) and never after the person's own, the surname alone names that other
# person, unless a title stands before it ("President Obama", "Mr. Trump" beside "Ivanka Trump").
_TITLE_BEFORE = re.compile(r"\b([A-Z][a-z]+)(?:-[a-z]+)?\.?[ \t]$")  # "Mr.", "President-elect"
_CAPITALISED_AFTER = re.compile(r"[ \t]+([A-Z][\w'’-]*)(?:[ \t]+([A-Z][\w'’-]*))?")
WOMEN = frozenset({"Khaleda Zia", "Sheikh Hasina", "Hillary Clinton"})


def _names_the_person(text: str, match: re.Match, own: set[str]) -> bool:
    """The rule before issue 9's changes: a surname alone names the person unless another
    capitalised word stands right before it."""
    if " " in match.group():
        return True
    before = _WORD_BEFORE.search(text, max(0, match.start() - 30), match.start())
    if before is None:
        return True
    word = before.group(1)
    return word in own or word in _OPENERS or word.rstrip(".").casefold() in TITLE_WORDS


def _article_names_the_person(text: str, pattern: re.Pattern, forms: tuple[str, ...], woman: bool) -> bool:
    """Whether an article names the person, by the rules above."""
    own = set(forms[0].split())
    matches = list(pattern.finditer(text))
    if any(" " in match.group() for match in matches):
        return True  # the full name
    titles = [_title_before(text, match) for match in matches]
    other_given_name = own_given_name = False
    for match, title in zip(matches, titles):
        before = _WORD_BEFORE.search(text, max(0, match.start() - 30), match.start())
        word = before.group(1) if before is not None else ""
        if word in own:
            own_given_name = True
        elif (
            word[1:].islower()
            and not title
            and word not in _OPENERS
            and not is_english_word(word)
            and not is_title_case(_line_of(text, match))
        ):
            other_given_name = True
    wrong_title = MALE_TITLES if woman else FEMALE_TITLES
    for match, title in zip(matches, titles):
        if not _names_the_person(text, match, own) and not title:
            continue  # "Selma Blair"
        if title in wrong_title or (not title and _part_of_another_name(text, match)):
            continue
        if other_given_name and not own_given_name and not title:
            continue
        return True
    return False


def _title_before(text: str, match: re.Match) -> str:
    """The title right before a match ("mr", "president", "presidents"), or ""."""
    found = _TITLE_BEFORE.search(text, max(0, match.start() - 20), match.start())
    word = found.group(1).casefold() if found is not None else ""
    return word if word in TITLE_WORDS or (word.endswith("s") and word[:-1] in TITLE_WORDS) else ""


def _line_of(text: str, match: re.Match) -> str:
    return text[text.rfind("\n", 0, match.start()) + 1 : (text.find("\n", match.end()) + 1 or len(text) + 1) - 1]


def _part_of_another_name(text: str, match: re.Match) -> bool:
    after = _CAPITALISED_AFTER.match(text, match.end())
    if after is None:
        return False
    words = tuple(re.sub(r"['’]s?$", "", word.casefold()) for word in after.groups() if word)
    return not any(words[: len(government)] == government for government in GOVERNMENT_OF)


def integrity(collection: Collection, stored: dict) -> None:
    texts = {docnum: "\n".join(filter(None, (f.title, f.subtitle, f.body))) for docnum, f in stored.items()}
    print("\n(3) facet integrity on the combined corpora (articles naming them by text vs found by their facet value):")
    print(
        "    named: people, a whole-word match of a form, a surname alone not right after another capitalised word\n"
        '    unless a title or the own given name ("Selma Blair", "Michelle Obama" name someone else; changed in this\n'
        '    issue from any match; still an upper bound: "Trump" also matches Trump Tower); then, also in this issue\n'
        '    ("previous rule" is the share before it): a surname alone followed on its line by a capitalised word\n'
        '    and no title before it is part of another name ("Blair Witch Project", "Blair House"; "the Reagan\n'
        "    Administration\", \"Obama White House\" still count); a woman's title before a man's surname, or a man's\n"
        '    before a woman\'s, is someone else ("Mrs Blair"); where the prose gives the surname only after another\n'
        '    given name ("Robert Blair ... Blair said"), only a titled surname counts;\n'
        '    places, a form that is not a word of a longer capitalised name (not "Dhaka Tribune", "Chittagong Hill\n'
        '    Tracts", "East London", "City of London": other places or organisations, which the place value rightly\n'
        "    does not find; changed from any match in this issue). values: people, values spelled like a form or\n"
        "    holding the full name, except name + Jr/Sr/II (another person), and except a surname alone all of whose\n"
        "    articles are of years in which the person's value finds none (listed as kept apart: the name map joins a\n"
        "    surname to a full name of its own year only, otherwise it stays apart); places, values spelled like a form."
    )
    print(f"    {'who / where':<30}{'facet':>7}{'named':>8}{'found':>8}{'share':>7}{'values':>8}  value ticked")
    shares = []
    for what, facet, value, forms in WATCHED:
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(form) for form in forms) + r")\b")
        if facet == "place":
            named = previous = {
                docnum
                for docnum, text in texts.items()
                if any(_names_the_place(text, match) for match in pattern.finditer(text))
            }
        else:
            own = set(forms[0].split())
            previous = {
                docnum
                for docnum, text in texts.items()
                if any(_names_the_person(text, match, own) for match in pattern.finditer(text))
            }
            named = {
                docnum for docnum in previous if _article_names_the_person(texts[docnum], pattern, forms, what in WOMEN)
            }
        column = collection.facets[facet]
        value_id = column.value_id(value)
        found = _docs_of(column, value, collection.size)
        full_words = name_key(forms[0]).split()
        form_keys = {name_key(form) for form in forms}
        own_values = [
            label
            for label in column.labels
            if name_key(label) in form_keys
            or (
                facet == "person"
                and _holds(name_key(label).split(), full_words)
                and name_key(label).split()[-1] not in NAME_SUFFIXES
            )
        ]
        # A bare surname value whose articles are all of years in which the person's value names no
        # article is another person's, kept apart by the name map's rule (a surname joins a full name
        # of its own year, otherwise stays apart): listed, not counted as a split.
        person_years = {_year(stored[docnum]) for docnum in found}
        apart = [
            label
            for label in own_values
            if facet == "person"
            and " " not in label
            and not {_year(stored[docnum]) for docnum in _docs_of(column, label, collection.size)} & person_years
        ]
        own_values = [label for label in own_values if label not in apart]
        share = len(named & found) / len(named) if named else 0.0
        any_match = {docnum for docnum, text in texts.items() if pattern.search(text)}
        before_count = f"  [any match: {len(any_match & found) / len(any_match):.3f}]" if any_match != named else ""
        if previous != named:
            before_count += f"  [previous rule: {len(previous & found) / len(previous):.3f} of {len(previous)}]"
        shares.append(share)
        shown = column.labels[value_id] if value_id is not None else "(none)"
        print(
            f"    {what:<30}{facet:>7}{len(named):>8}{len(named & found):>8}{share:>7.3f}{len(own_values):>8}  "
            f"{shown}"
            + (f"; also: {', '.join(v for v in own_values if v != shown)[:120]}" if len(own_values) > 1 else "")
            + before_count
            + "".join(
                f"; kept apart: {label} ({_years_of(column, label, collection.size, stored)}, no {what} that year)"
                for label in apart
            )
        )
    print(
        f"    mean share {sum(shares) / len(shares):.3f}; at or above 0.95: {sum(s >= 0.95 for s in shares)} of "
        f"{len(shares)}"
    )


def _year(article: StoredArticle) -> int | None:
    return article.published.year if article.published else None


def _docs_of(column, label: str, size: int) -> set[int]:
    value_id = column.value_id(label)
    return set(column.docs_with([value_id], size).nonzero()[0].tolist()) if value_id is not None else set()


def _years_of(column, label: str, size: int, stored: dict) -> str:
    docs = _docs_of(column, label, size)
    years = sorted({_year(stored[docnum]) or 0 for docnum in docs})
    return f"{len(docs)} article{'s' * (len(docs) != 1)}, {', '.join(str(year or 'undated') for year in years)}"


def _holds(value_words: list[str], form_words: list[str]) -> bool:
    """Whether a value's words hold a form's words in sequence ("Begum Khaleda Zia" holds "Khaleda Zia")."""
    n = len(form_words)
    return any(value_words[i : i + n] == form_words for i in range(len(value_words) - n + 1))


# --- (4) speed --------------------------------------------------------------------------------


def reuters_speed(docs: int, workers: int) -> None:
    """Dateline's whole extraction on short Reuters stories, no cache: text selection and spaCy in
    `workers` processes, then the rules (context, cook) in this one. The pool is started and the
    model loaded on a first chunk that is not timed; the machine's load is printed beside."""
    from search.entities.extract import CHUNK_SIZE, EntityExtractor, article_context, cook

    articles = [a for a in read_corpus([SHARED / "corpus" / "reuters21578"]) if isinstance(a, Article)]
    warm, timed = articles[: CHUNK_SIZE * workers], articles[CHUNK_SIZE * workers :][:docs]
    cores = os.cpu_count() or 1
    with EntityExtractor(workers=workers) as extractor:
        list(extractor.raw_many(warm))
        pids = [process.pid for process in extractor._pool._pool] if extractor._pool is not None else []
        workers_before = _cpu_seconds(pids)
        load_before = os.getloadavg()[0]
        cpu_before = time.process_time()
        started = time.perf_counter()
        raws = list(extractor.raw_many(timed))
        model_s = time.perf_counter() - started
        workers_cpu = _cpu_seconds(pids) - workers_before
        entities = [cook(raw, article_context(article)) for raw, article in zip(raws, timed)]
        total_s = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    print(
        f"\n(4) speed of the whole extraction on {len(timed)} Reuters stories (no cache), {workers} processes on "
        f"{cores} cores, load average {load_before:.2f} before / {load_after:.2f} after (other work on the machine "
        f"slows every figure here):"
    )
    print(
        f"    selection + spaCy: {len(timed) / model_s:7.1f} docs/s; rules (context + cook, this process): "
        f"{(total_s - model_s) / len(timed) * 1000:.2f} ms per story ({(time.process_time() - cpu_before):.1f} s CPU "
        f"here in all)"
    )
    print(
        f"    whole extraction, one after the other: {len(timed) / total_s:7.1f} docs/s "
        f"(the indexer overlaps the rules with the model, so its rate lies between the two); "
        f"{sum(len(e.people) for e in entities) / len(entities):.1f} people, "
        f"{sum(len(e.places) for e in entities) / len(entities):.1f} places per story"
    )
    if workers_cpu > 0:
        print(
            f"    the worker processes used {workers_cpu:.1f} CPU s for them: {len(timed) / workers_cpu:.0f} stories "
            f"per CPU second of selection + spaCy, so about {len(timed) / workers_cpu * min(workers, cores):.0f} "
            f"docs/s on {min(workers, cores)} idle cores (an estimate, not a measurement)"
        )


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes so far, from /proc (0 where it cannot be read)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def speed(docs: int, workers: int) -> None:
    from search.entities.extract import EXCLUDED_PIPES, EntityExtractor, article_context, article_parts, cook
    from search.spacy_model import MODEL

    articles = []
    with gzip.open(ALLSIDES, "rb") as source:
        for number, line in enumerate(source):
            record = orjson.loads(line)
            if number % 7 == 3 and len(record.get("body") or "") >= 4000:
                article, _ = article_from_record(allsides_record(record), Origin("allsides", number + 1), ReadOptions())
                if article is not None:
                    articles.append(article)
            if len(articles) >= docs:
                break
    texts = ["\n".join(article_parts(article)) for article in articles]
    words = sum(len(text.split()) for text in texts)
    print(
        f"\n(4) speed on {len(articles)} long AllSides articles (>= 4,000 characters, {words / len(articles):.0f} "
        f"words on average), {workers} processes, load average {os.getloadavg()[0]:.2f}:"
    )
    import spacy

    nlp = spacy.load(MODEL, exclude=list(EXCLUDED_PIPES))
    started = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=workers, batch_size=16):
        pass
    ner_only = len(texts) / (time.perf_counter() - started)
    print(f"    spaCy NER alone (whole texts, nlp.pipe n_process={workers}): {ner_only:7.1f} docs/s")
    with EntityExtractor(workers=workers) as extractor:
        started = time.perf_counter()
        raws = list(extractor.raw_many(articles))
        contexts = [article_context(article) for article in articles]
        entities = [cook(raw, context) for raw, context in zip(raws, contexts)]
        ours = len(articles) / (time.perf_counter() - started)
    print(
        f"    Dateline's extraction (selection + spaCy + rules): {ours:7.1f} docs/s = {ours / ner_only:.0%} of NER alone"
    )
    started = time.perf_counter()
    for raw, context in zip(raws, contexts):
        cook(raw, context)
    cooking = (time.perf_counter() - started) / len(raws) * 1000
    print(
        f"    the rules alone on cached spans: {cooking:.2f} ms per article (one process); "
        f"{sum(len(e.people) for e in entities) / len(entities):.1f} people per article"
    )


if __name__ == "__main__":
    sys.exit(main())
