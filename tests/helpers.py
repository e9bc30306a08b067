"""Helpers the test modules share (tests never import each other): articles, corpora and indexes.

The web tests' index: a real index built by the real indexer, once per test process.

The index holds the repository's sample corpus (corpus/) plus test articles written here as
JSON Lines: enough dated articles for paging, a timeline and facets, and articles whose
title, body, source and URL carry markup meant to break out of HTML.
"""

from __future__ import annotations

import atexit
import functools
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import numpy as np
import orjson
import pytest
from whoosh import index as whoosh_index

from search.article import Article, Entities, Origin, Place
from search.index.schema import build_schema, to_document
from search.readers import read_file
from search.settings import PROJECT_ROOT

SAMPLE_CORPUS = PROJECT_ROOT / "corpus"
SHARED = Path(os.environ.get("DATELINE_SHARED", PROJECT_ROOT.parent / "shared"))

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP_STRINGS = (SCRIPT, "<img src=x onerror=alert(1)>", "<i>Evil Wire</i>")

# A word found only in the quayside articles, so queries have a known result count.
QUAYSIDE_COUNT = 36
PEOPLE = ("Margaret Thatcher", "Ronald Reagan", "Helmut Kohl")
PLACES = ("London", "Tokyo", "Kuwait", "Rotterdam")


def fixture_articles() -> list[dict]:
    articles = [
        {
            "id": "web-test-script",
            "title": f"{SCRIPT} Quayside fire in Rotterdam",
            "subtitle": f"Firemen fought the blaze {IMG}",
            "source": "<i>Evil Wire</i>",
            "published": "1987-04-02T09:30:00+00:00",
            "url": "javascript:alert(1)",
            "body": [
                f"A fire broke out at the quayside in Rotterdam on Thursday. {SCRIPT}",
                f"Margaret Thatcher said the damage was limited {IMG} and trade would resume.",
            ],
        },
        {
            "id": "web-test-img",
            "title": f"{IMG} Dock strike spreads",
            "source": "Reuters",
            "published": "1987-05-11T14:00:00+00:00",
            "url": "https://example.org/dock-strike",
            "body": [
                "Dock workers in London stopped work at the quayside on Monday.",
                f"Union leaders said {SCRIPT} the strike would go on.",
            ],
        },
    ]
    start = date(1987, 1, 5)
    for i in range(QUAYSIDE_COUNT - 2):
        person = PEOPLE[i % len(PEOPLE)]
        place = PLACES[i % len(PLACES)]
        day = start + timedelta(days=5 * i)
        articles.append(
            {
                "id": f"web-test-{i:02d}",
                "title": f"Quayside traffic in {place} report number {i + 1}",
                "source": "Reuters" if i % 3 else "Dateline Wire",
                "published": f"{day.isoformat()}T{8 + i % 10:02d}:15:00+00:00",
                "body": [
                    f"Ship arrivals at the quayside in {place} changed this week, officials in {place} said.",
                    f"{person} commented on shipping volumes in {place} during a visit on {day:%A}.",
                    "Cargo handling, container traffic and grain shipments were all reported.",
                ],
            }
        )
    return articles


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def corpus_paths(extra_dir: Path) -> list[Path]:
    paths = [extra_dir]
    if SAMPLE_CORPUS.is_dir() and any(p for p in SAMPLE_CORPUS.rglob("*") if p.is_file() and p.name != "README.md"):
        paths.insert(0, SAMPLE_CORPUS)
    return paths


def build_index(corpus: list[Path], index_dir: Path, *, full: bool = False) -> None:
    from search.index.indexer import reindex

    reindex(corpus, index_dir, full=full, workers=1)


@cache
def shared_index() -> Path:
    """The index every read-only web test uses (built once per process, removed at exit)."""
    root = Path(tempfile.mkdtemp(prefix="dateline-web-test-"))
    atexit.register(shutil.rmtree, root, True)
    extra = root / "extra"
    write_jsonl(extra / "web-test.jsonl", fixture_articles())
    index_dir = root / "index"
    build_index(corpus_paths(extra), index_dir)
    return index_dir


# --- reading pages back ------------------------------------------------------------------

from html.parser import HTMLParser  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parents: list[Element]) -> None:
        self.parents = parents
        self.tag = tag
        self.attrs = attrs
        self.text = ""
        self.classes = set((attrs.get("class") or "").split())

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs} {self.text!r}>"

    @property
    def href(self) -> str:
        return self.attrs.get("href") or ""

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.href).query)


class Page(HTMLParser):
    """Every element of a page with its attributes and its text (inner text, descendants included)."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "rect",
    }

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), list(self._open))
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), list(self._open)))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = self.find(tag, cls, **attrs)
        assert len(found) == 1, f"expected one {tag}.{cls} {attrs}, found {len(found)}"
        return found[0]

    def inside(self, cls: str, tag: str | None = None) -> list[Element]:
        """Elements (of a tag) inside an element of a class."""
        return [e for e in self.elements if (tag is None or e.tag == tag) and any(cls in p.classes for p in e.parents)]

    def hit_ids(self) -> list[str]:
        return [
            a.href.rsplit("/", 1)[-1]
            for a in self.inside("hit-title", "a")
            if not any("related" in p.classes for p in a.parents)
        ]


# --- a small index written directly (no readers, no spaCy): the searcher's and the CLI's tests -----

DHAKA = timezone(timedelta(hours=6))
UTC = timezone.utc


def made_article(
    key: str,
    title: str,
    body: str,
    *,
    published: datetime | None,
    source: str = "Reuters",
    people=(),
    places=(),
    subtitle: str = "",
) -> tuple[Article, Entities]:
    article = Article(
        id=key,
        title=title,
        origin=Origin(f"made/{key}.txt"),
        subtitle=subtitle,
        source=source,
        published=published,
        body=tuple(body.split("\n\n")),
    )
    return article, Entities(tuple(people), tuple(Place(name, country) for name, country in places))


KOREA = ("North Korea", "North Korea")
SEOUL = ("Seoul", "South Korea")
TOKYO = ("Tokyo", "Japan")
JAPAN = ("Japan", "Japan")
DHAKA_PLACE = ("Dhaka", "Bangladesh")

ARTICLES = [
    made_article(
        "a1",
        "North Korea fires rockets into the sea",
        "North Korea fired two rockets on Monday. The rocket launch was condemned in Seoul.\n\n"
        "Kim Jong Un watched the launch, state media said.",
        published=datetime(2023, 7, 10, 9, 0, tzinfo=UTC),
        people=["Kim Jong Un"],
        places=[KOREA, SEOUL],
    ),
    made_article(
        "a2",
        "Rocket launch delayed again",
        "The launch of the rocket was delayed by weather at the coast.",
        published=datetime(2023, 7, 20, 9, 0, tzinfo=UTC),
        source="AFP",
        places=[TOKYO],
    ),
    made_article(
        "a3",
        "Bank of Japan holds rates",
        "The Bank of Japan kept interest rates unchanged. Governor Kazuo Ueda said inflation was easing.",
        published=datetime(2023, 6, 15, 3, 0, tzinfo=UTC),
        people=["Kazuo Ueda"],
        places=[JAPAN, TOKYO],
    ),
    made_article(
        "a4",
        "Japan's bank lending rises",
        "Lending by banks in Japan rose in May, a bank survey showed.",
        published=datetime(2023, 6, 1, 3, 0, tzinfo=UTC),
        source="Kyodo",
        places=[JAPAN],
    ),
    made_article(
        "a5",
        "Dhaka prepares for monsoon floods",
        "Officials in Dhaka prepared pumps as the monsoon arrived. Sheikh Hasina visited shelters.",
        # 02:00 in Dhaka on 1 July is still 30 June in UTC: the article's own date counts.
        published=datetime(2023, 7, 1, 2, 0, tzinfo=DHAKA),
        source="bdnews24.com",
        people=["Sheikh Hasina"],
        places=[DHAKA_PLACE],
    ),
    made_article(
        "a6",
        "<script>alert(1)</script> in the headline",
        "A page carried <script>alert(1)</script> & other <b>markup</b> about rockets.",
        published=datetime(2022, 1, 5, 12, 0, tzinfo=UTC),
        source="Test & Co",
    ),
    made_article(
        "a7",
        "Undated note on rockets",
        "A rocket enthusiast wrote about model rockets and a launch pad.",
        published=None,
        source="AFP",
    ),
    made_article(
        "a8",
        "Kim Jong Un meets officials",
        "Kim Jong Un met party officials in Pyongyang to discuss the harvest.",
        published=datetime(2023, 8, 2, 9, 0, tzinfo=UTC),
        people=["Kim Jong Un"],
        places=[KOREA],
    ),
    made_article(
        "a9",
        "Seoul markets calm",
        "Investors in Seoul were calm. Kazuo Ueda's remarks were noted by traders.",
        published=datetime(2021, 3, 3, 9, 0, tzinfo=UTC),
        people=["Kazuo Ueda"],
        places=[SEOUL],
    ),
    made_article(
        "a10",
        "Coffee prices climb in Brazil",
        "Coffee prices rose as frost hit Brazil's plantations; economists expect economies to feel it.",
        published=datetime(2020, 2, 2, 9, 0, tzinfo=UTC),
        source="Reuters",
        places=[("Brazil", "Brazil")],
    ),
]


def index_articles(index_dir: Path, articles=ARTICLES, generation: str = "gen-000001") -> Path:
    """An index folder laid out as the indexer publishes it: a generation and CURRENT."""
    path = index_dir / generation
    path.mkdir(parents=True)
    ix = whoosh_index.create_in(str(path), build_schema())
    with ix.writer() as writer:
        for article, entities in articles:
            writer.add_document(**to_document(article, entities))
    (index_dir / "CURRENT").write_text(generation + "\n")
    return index_dir


# --- the indexer's stories and its counting extractor ------------------------------------------

STORIES = {
    "putin-macron": {
        "title": "Putin and Macron meet in Paris",
        "published": "2023-07-04T10:00:00+02:00",
        "body": [
            "Russian President Vladimir Putin met French President Emmanuel Macron in Paris on Tuesday.",
            "The two leaders discussed the war in Ukraine for three hours.",
        ],
    },
    "dhaka-floods": {
        "title": "Floods cut roads around Dhaka",
        "published": "2023-07-05T08:30:00+06:00",
        "body": [
            "Heavy monsoon rain flooded streets in Dhaka, the capital of Bangladesh, on Wednesday.",
            "Prime Minister Sheikh Hasina ordered relief for families in Sylhet.",
        ],
    },
    "tokyo-shares": {
        "title": "Tokyo shares rise",
        "published": "2023-07-06T15:00:00+09:00",
        "body": [
            "Shares rose in Tokyo as exporters gained, and the yen weakened against the dollar.",
            "Traders in Japan expect the central bank to keep rates low.",
        ],
    },
}


def story(key: str, **changes) -> dict:
    return {"id": key, "source": "Dateline Wire", **STORIES[key], **changes}


class NoEntities:
    """An extractor that finds nothing: for tests of ranking and indexing, where spaCy would only cost time."""

    def extract_many(self, articles):
        for _ in articles:
            yield Entities()


class ReutersTags:
    """People and places from the story's own PEOPLE and PLACES tags."""

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        for article in articles:
            meta = article.source_metadata
            people = _names(meta.get("people"))
            yield Entities(people, tuple(Place(p, p) for p in _names(meta.get("places"))))


def _names(value) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else []
    return tuple(str(v).replace("-", " ").title() for v in items)


def same_collection(a, b) -> None:
    """Two facet-column collections (search.index.columns.Collection) hold the same arrays and labels."""
    assert a.size == b.size and a.ids == b.ids and a.docnum_of == b.docnum_of
    for name in ("live", "day", "time"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.facets.keys() == b.facets.keys()
    for name, column in a.facets.items():
        other = b.facets[name]
        assert column.labels == other.labels and column.keys == other.keys, name
        assert column.aliases == other.aliases and column.mapped == other.mapped, name
        assert np.array_equal(column.doc_of, other.doc_of) and np.array_equal(column.value_of, other.value_of), name


class CountingExtractor:
    """The real extractor, counting the articles that reach it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0

    def _counted(self, articles):
        for article in articles:
            self.calls += 1
            yield article

    def extract_many(self, articles):
        return self.inner.extract_many(self._counted(articles))

    def raw_many(self, articles):
        """The model's spans, which the entity cache keeps (search.entities.cache)."""
        return self.inner.raw_many(self._counted(articles))


@functools.cache
def shared_spacy_extractor():
    """One spaCy extractor for the whole test session (loading the model is the slow part)."""
    from search.entities.extract import EntityExtractor

    return EntityExtractor(workers=1)


# --- a real `dateline serve` -----------------------------------------------------------


def dateline_command() -> list[str]:
    script = Path(sys.executable).with_name("dateline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "search.cli"]


def start(*options: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [*dateline_command(), "serve", "--host", "127.0.0.1", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
    )
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        process.kill()
        pytest.fail(f"dateline serve did not start: {line!r} {process.stdout.read()}")
    return process, match.group(1)


def get(port: str, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def stop(process: subprocess.Popen, how: int = signal.SIGTERM) -> int:
    process.send_signal(how)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("dateline serve did not stop within 30 s")


def shared_path(*parts: str) -> Path:
    """A path in ../shared; in CI its absence fails the test, elsewhere it skips with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"real data missing: {path} (tests read ../shared beside the repo)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def bbc_article(name: str) -> Article:
    """The one article of a BBC News file, by its path under bbc_news/news ("sport/chelsea-sack-mutu.txt")."""
    (article,) = [
        item
        for item in read_file(shared_path("corpus", "bbc_news", "news", *name.split("/")))
        if isinstance(item, Article)
    ]
    return article
