"""People and places an article names, from its title, subtitle and body (never page noise).

spaCy's `en_core_web_sm` NER finds the spans (kept raw: the entity cache holds them, so a rule
change reruns no model); `cook` applies our rules to them: people (search/entities/people.py), and
places judged in the article's context (search/entities/place_spans.py: its text, headlines and
outlet) and resolved to one canonical place and its country (search/entities/places.py). The
article's text and outlet are given to `cook` from the article itself, never cached: the cache
key already hashes the text, and a change of outlet must change the places without a model run.

Speed (measured on Reuters-21578, see the report in bench/index.py): only the `ner` pipe runs (its
own internal tok2vec; without tagger, parser, lemmatizer, attribute_ruler and the shared tok2vec
the entities were the same); paragraphs go to the model one by one, and paragraphs that cannot
name anyone (no capitalised word but a sentence-initial function word; rows of figures such as
"Net 509,144 vs 277,834") or are upper-case headlines (scanned against the gazetteer instead: the
NER is unreliable on capitals) are not sent at all; of the rest only the words near a capitalised
word are sent (near_capitals); OpenBLAS is kept to one thread (threads fight each other on 2 cores).
The model's time is per word sent (batch size and per-paragraph overhead do not matter: measured
on Reuters), so sending fewer words is what makes it faster.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

# One BLAS thread per process: measured 20% more documents per CPU second. Only effective when
# numpy is not loaded yet; worker processes always get it (see _start_pool).
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from whoosh.analysis import STOP_WORDS

from search import spacy_model
from search.article import Article, Entities, Place
from search.entities.gazetteer import ensure_built
from search.entities.people import (
    PERSON,
    TEAM_SHEET,
    RawSpan,
    article_people,
    different_people,
    doubtful_people,
    given_people,
    headline_people,
    line_up_names,
    not_places,
    other_names,
    person_mentions,
    run_on_people,
    unlabelled_names,
)
from search.entities.place_spans import MISREAD_LABELS, PLACE_LABELS, Span, article_places
from search.entities.places import gazetteer, outlet_country

# Bump when the entities for the same article may change (rules for people or places): an index
# built with another version is rebuilt, from the cached spans (see RAW_VERSION).
# 6: people's rules (search/entities/people.py) and places' rules in context, together.
# 7: a single untitled word that is a place of the article is no person ("passed through Khilkhet").
# 8: share buttons, datelines glued by a dash, a name restated in full, "the Obama White House".
# 12: doubtful single words (read as something else, or a city's name) are weak mentions.
# 15: a major city of the outlet's country named alone and read as an organisation is that city.
# 16: a span read as a product may name a place too ("via Chattogram port").
# 17: "Donald Trump" beside "Donald Trump Jr" in one article is not a partial name of the son.
# 18: "the Reagan Administration" read as an organisation is a weak mention of Reagan.
# 19: numbered parts of places ("Gulshan-2"); a home city read as a person in a list.
# 20: an acronym ends no name ("Hillary Urges FBI"); "National", "Office" are no name words.
# 21: an epithet run together with hyphens is no name ("Reagan-the-Unifier").
# 22: "George W Bush" is no partial form of "George H W Bush".
# 23: a title word after a given name is the family name ("John Major").
# 24: a word read as a nationality or group is no doubtful person.
# 25: big cities and numbered parts of places the model gave no span ("5:30pm Dhaka time");
#     person spans of title-case headlines cut to the name the prose gives ("Obama Asks").
# 26: no city-state in that scan ("Singapore dollar"); a headline's "Claims Obama" loses "Claims",
#     a word the prose writes in lower case.
# 27: runs of capitalised words the model gave no span are weak mentions ("Sheikh Hasina-led").
# 28: a headline span keeps a name with its possessive ("Jeb Bush's") and words before a name the
#     prose does not write in lower case ("K Morgan", "De Marigny").
# 29: "Mr. Obama" does not join "First lady Michelle Obama".
# 30: a town the model reads as an organisation after "for", "with", "by", "against" is no place in
#     that article ("a statement from Chelsea"); a club by its players ("Gloucester prop",
#     "Leicester's England centre"); "Spain's Iberia" (no place in Spain) is no place.
# 31: a name right after an organisation noun is no person ("oil giant Yukos"); "Steve Gerrard" joins
#     "Steven Gerrard"; a father's name after "bin"/"binte" joins no one.
# 32: rows of figures are not sent to the model; a capitalised function word keeps no context (RAW_VERSION 3).
# 33: a row opened by a known place is sent ("Tokyo 12.5 pct vs 11.9 pct", RAW_VERSION 4); a country in
#     brackets is a place ("B Lima (Samoa)"); "Obama" does not join "Obama-Biden"; a city's name read
#     once as a person is a weak mention for the corpus to decide.
# 34: a name run on into English words is cut ("GOP Slams Obama", "Obama To Iranians").
# 35: a span cut after the one before it was cut keeps the gap that makes the two separate.
EXTRACTOR_VERSION = "35"

# `ner` carries its own tok2vec in this model; these are not needed for entities.
EXCLUDED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
DEFAULT_BATCH_SIZE = 128  # paragraphs per nlp.pipe batch
CHUNK_SIZE = 64  # articles per task sent to a worker process
MAX_CHARS = 20_000  # of one article's text sent to the model: a book-length "article" is an accident

# What the model found in one article, in plain data that crosses process boundaries cheaply
# and that the entity cache keeps: its spans (see search.entities.people.RawSpan) and its
# upper-case headlines (scanned against the gazetteer). Rules apply to it afterwards, so a
# change of rules reruns no model.
RawArticle = tuple[tuple[RawSpan, ...], tuple[str, ...]]
# Bump when the raw spans for the same text may change (model, pipes, which text is sent), and
# EXTRACTOR_VERSION with it: an index is rebuilt by the latter.
# 3: no rows of figures; a capitalised function word keeps no context. 4: rows opened by a known place.
RAW_VERSION = "4"

# --- which text goes to the model -------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_CAPITALISED = re.compile(r"[A-Z][A-Za-z'.-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?][\"')\]]?\s+)[\"'(]?([A-Z][A-Za-z']*)")
_FUNCTION_WORDS = frozenset(STOP_WORDS) | frozenset(
    """
he she his her they their there however but its we i our some most many after before while
when although since though yet still also meanwhile earlier later instead both each every
""".split()
)


def may_name_entity(paragraph: str) -> bool:
    """False when the only capitalised words start sentences and are function words: no names."""
    starts = {m.start(1): m.group(1) for m in _SENTENCE_START.finditer(paragraph)}
    for match in _CAPITALISED.finditer(paragraph):
        word = starts.get(match.start())
        if word is None or word.casefold() not in _FUNCTION_WORDS:
            return True
    return False


def _plan(parts: Iterable[str]) -> tuple[list[str], list[str]]:
    """(paragraphs for the model, upper-case headlines for the gazetteer scan)."""
    for_model: list[str] = []
    headlines: list[str] = []
    budget = MAX_CHARS
    for part in parts:
        text = _SPACES.sub(" ", part).strip()
        if not text or budget <= 0:
            continue
        if not any(c.islower() for c in text):
            headlines.append(text)
        elif is_credit_line(text) or is_table_row(text):
            continue  # who wrote or photographed the story is not who it names; figures name no one
        elif may_name_entity(text):
            text = near_capitals(text)[:budget]
            for_model.append(text)
            budget -= len(text)
    return for_model, headlines


_CREDIT_LINE = re.compile(
    r"^By (?:[A-Z][\w.'’-]+ ?){1,4}(?:(?:,| and) (?:[A-Z][\w.'’-]+ ?){1,4})*$"
    r"|^(?:[-—–]\s*)?(?:(?:Additional )?[Rr]eporting by|Writing by|Editing by|With assistance by|Compiled by)\s+[A-Z]"
    r"|contributed (?:to )?(?:this|the) (?:report|story|article)|^\(?(?:AP|AFP|Reuters|Getty) Photo"
    r"|^(?:Photo|Photograph|Image|File photo)(?: credit)?\s*:|'s earlier report"
)
_CREDIT_MAX_WORDS = 40


def is_credit_line(paragraph: str) -> bool:
    """A byline, a "contributed to this report" line or a photo credit: short, and says so."""
    return len(paragraph.split()) <= _CREDIT_MAX_WORDS and _CREDIT_LINE.search(paragraph) is not None


def near_capitals(text: str, reach: int = 5) -> str:
    """The words within `reach` words of a word with a capital letter; the rest is cut.

    The model decides about a token from a few tokens around it (its CNN sees 4 either side),
    so long lower-case stretches cannot change any entity; cutting them saved ~30% of the model's
    time on Reuters and changed 3 entities in 2,000 stories.
    """
    words = text.split(" ")
    keep = bytearray(len(words))
    last = len(words) - 1
    for i, word in enumerate(words):
        if word != word.lower() and not (
            # "The company said", "It was": a capitalised function word before a lower-case word
            # is no part of a name and needs no context of its own ("The Fed": "Fed" has a capital).
            word[1:] == word[1:].lower()
            and word.strip(_QUOTES).casefold() in _NEVER_NAMES
            and i < last
            and words[i + 1] == words[i + 1].lower()
        ):
            keep[max(0, i - reach) : i + reach + 1] = b"\x01" * (min(len(words), i + reach + 1) - max(0, i - reach))
    return " ".join(word for word, kept in zip(words, keep) if kept)


# Function words that are never a name or part of one, written with a capital at a sentence's start.
# Not "May", "Will", "Can", "Us" (Theresa May, Will Smith, the US).
_NEVER_NAMES = _FUNCTION_WORDS - frozenset({"may", "will", "can", "us", "yet", "still", "you", "your", "tbd", "most"})
_QUOTES = "\"'“‘("


def is_table_row(paragraph: str) -> bool:
    """A row of figures ("Net 509,144 vs 277,834", "Revs 39.4 mln vs 34.7 mln"): short, no capital
    after its first word, two or more numbers and no full stop at its end. It names no one, unless
    its first word is a known place ("Tokyo 12.5 pct vs 11.9 pct"): that row is sent all the same."""
    words = paragraph.split()
    return (
        len(words) <= _TABLE_ROW_WORDS
        and not paragraph.endswith(".")
        and all(word == word.lower() for word in words[1:])
        and sum(1 for word in words if any(c.isdigit() for c in word)) >= 2
        and not gazetteer().knows(words[0].strip(_QUOTES + ":,"))
    )


_TABLE_ROW_WORDS = 12


# --- the model ------------------------------------------------------------------------------


def load_model() -> Any:
    """The NER pipeline, loaded once per process."""
    return spacy_model.load(EXCLUDED_PIPES)


# Labels kept in the raw spans: people, places, and what counts as evidence against a person.
_KEPT_LABELS = frozenset({PERSON, "GPE", "LOC", "ORG", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"})
assert PLACE_LABELS | MISREAD_LABELS <= _KEPT_LABELS  # the place rules see every span they read


def _raw_parts(articles: list[tuple[str, ...]], batch_size: int) -> list[RawArticle]:
    """The model's spans for several articles, each given as its parts (title, subtitle, paragraphs)."""
    nlp = load_model()
    plans = [_plan(parts) for parts in articles]
    spans: list[list[RawSpan]] = [[] for _ in articles]
    jobs = ((text, index) for index, (paragraphs, _) in enumerate(plans) for text in paragraphs)
    for doc, index in nlp.pipe(jobs, as_tuples=True, batch_size=batch_size):
        ents = [ent for ent in doc.ents if ent.label_ in _KEPT_LABELS]
        players = (
            line_up_names(
                doc.text,
                sum(1 for ent in ents if ent.label_ == PERSON),
                sum(1 for ent in ents if ent.label_ in PLACE_LABELS),
            )
            if len(ents) >= 3
            else []
        )
        if players:
            # A team sheet: its names are people, whatever the model made of them.
            spans[index].extend((PERSON, doc.text[start:end], "", "", TEAM_SHEET) for start, end in players)
            ents = [
                ent for ent in ents if not any(ent.start_char < end and start < ent.end_char for start, end in players)
            ]
        end = -1
        for ent in ents:
            start = ent.start
            spans[index].append(
                (
                    ent.label_,
                    ent.text,
                    doc[start - 1].text if start else "",
                    doc[start - 2].text if start > 1 else "",
                    start - end if end >= 0 else -1,
                )
            )
            end = ent.end
    return [(tuple(found), tuple(headlines)) for found, (_, headlines) in zip(spans, plans)]


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """What the rules read from the article itself besides the model's spans: its text (party
    tags, places used only as a sports side) and its outlet's country (a prior for its places)."""

    text: str = ""
    outlet: str | None = None


def article_context(article: Article) -> ArticleContext:
    return ArticleContext("\n".join(article_parts(article)), outlet_country(article.url, article.source))


def cook(raw: RawArticle, context: ArticleContext = ArticleContext()) -> Entities:
    """Entities of an article from what the model found in it and its context: every rule, no model."""
    spans, headlines = raw
    spans = tuple(run_on_people(headline_people(spans, context.text), context.text))
    mentions = person_mentions(spans)
    place_spans: list[Span] = [
        (label, text, before, before2)
        for label, text, before, before2, _ in spans
        if label in PLACE_LABELS or label in MISREAD_LABELS
    ]
    # Places first: a word of a person's full name is no place ("Yunus"), and a single word the
    # article places is no person ("to Khilkhet").
    places = article_places(place_spans, context.text, headlines, context.outlet, [name for name, _ in mentions])
    people, partial_people = article_people(not_places(mentions, places, context.outlet), different_people(spans))
    partial_people += doubtful_people(spans, (*people, *partial_people), places, context.outlet)
    partial_people += unlabelled_names(spans, context.text, (*people, *partial_people))
    return Entities(people=people, places=tuple(places), partial_people=partial_people, other_names=other_names(spans))


def supplied_entities(given: Entities, outlet: str | None = None) -> Entities:
    """Entities a record gives itself, normalised like extracted ones: people by the person
    rules, places resolved by the gazetteer in the context of the record's other countries and
    its outlet (a given country is kept; a name it cannot place keeps its name, no country)."""
    gaz = gazetteer()
    context = {place.country for place in given.places if place.country} | ({outlet} if outlet else set())
    places = [
        place if place.country else gaz.resolve(place.name, context) or Place(place.name, None)
        for place in given.places
    ]
    return Entities(people=given_people(given.people), places=tuple(dict.fromkeys(places)))


def article_parts(article: Article) -> tuple[str, ...]:
    if article.language and not article.language.casefold().startswith("en"):
        return ()  # an English model finds only noise in other languages
    return tuple(part for part in (article.title, article.subtitle, *article.body) if part)


# --- worker processes -------------------------------------------------------------------------


def _worker_init() -> None:
    # Ctrl-C is the parent's to handle (it terminates the pool); a worker would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_model()
    gazetteer()


def _worker_run(articles: list[tuple[str, ...]], batch_size: int) -> list[RawArticle]:
    return _raw_parts(articles, batch_size)


class EntityExtractor:
    """People and places of articles; `workers` > 1 runs the model in that many processes."""

    def __init__(self, workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE, chunk_size: int = CHUNK_SIZE) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self._pool: Any = None
        if workers == 1:
            load_model()
            gazetteer()

    def extract(self, article: Article) -> Entities:
        return cook(_raw_parts([article_parts(article)], self.batch_size)[0], article_context(article))

    def raw_many(self, articles: Iterable[Article]) -> Iterator[RawArticle]:
        """What the model finds in each article, in order, streaming; what the entity cache keeps."""
        return self.extract_parts_many(article_parts(article) for article in articles)

    def extract_parts_many(self, parts: Iterable[tuple[str, ...]]) -> Iterator[RawArticle]:
        """Raw spans for article parts, in order."""
        iter_parts = iter(parts)
        chunks = iter(lambda: list(islice(iter_parts, self.chunk_size)), [])
        if self.workers == 1:
            for chunk in chunks:
                yield from _raw_parts(chunk, self.batch_size)
            return
        pool = self._start_pool()
        pending: deque = deque()
        # At most two chunks per worker in flight: memory stays bounded on any corpus size
        # (Pool.imap would read the whole input ahead).
        for chunk in chunks:
            pending.append(pool.apply_async(_worker_run, (chunk, self.batch_size)))
            if len(pending) >= 2 * self.workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        """Entities for each article, in the same order, streaming."""
        contexts: deque[ArticleContext] = deque()  # of the articles whose spans are on their way

        def parts() -> Iterator[tuple[str, ...]]:
            for article in articles:
                contexts.append(article_context(article))
                yield article_parts(article)

        for raw in self.extract_parts_many(parts()):
            yield cook(raw, contexts.popleft())

    def _start_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing

            # spawn: forking a process that may hold threads and open index files is unsafe.
            context = multiprocessing.get_context("spawn")
            ensure_built()  # once here, not in every worker at the same time
            previous = os.environ.get("OPENBLAS_NUM_THREADS")
            os.environ["OPENBLAS_NUM_THREADS"] = "1"
            try:
                self._pool = context.Pool(self.workers, initializer=_worker_init)
            finally:
                if previous is None:
                    os.environ.pop("OPENBLAS_NUM_THREADS", None)
                else:
                    os.environ["OPENBLAS_NUM_THREADS"] = previous
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> EntityExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None and exc[0] is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.close()
