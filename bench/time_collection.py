"""The TIME test collection (Time magazine, 1963): documents, queries, judgements, an index.

Read ../shared/eval/time/SOURCE.md first. The trap: TIME.REL lists *positions* in
the original 425-document file, not *TEXT numbers, and TIME.ALL holds only 423
documents because two were lost between positions 371 and 377. Judged numbers
up to 370 are 1-based positions in TIME.ALL; from 378 on they are position + 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index as windex
from whoosh.fields import Schema

# Judged numbers in the gap left by the two lost documents: none occur, and any would be ambiguous.
LOST_RANGE = range(371, 378)
SHIFT_FROM = 378
SHIFT = 2

_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})\D+(\d{2})$")


@dataclass(frozen=True)
class TimeDocument:
    number: str  # the *TEXT number as written, e.g. "017"
    issue: datetime | None  # the magazine issue date (UTC midnight), when the header has one
    page: str
    text: str  # the body: every line after the header, joined by spaces


@dataclass(frozen=True)
class TimeQuery:
    id: str  # "1" ... "83"
    text: str


def _blocks(path: Path, marker: str) -> Iterator[tuple[list[str], list[str]]]:
    """(header fields, content lines) per block starting with `marker`; stops at *STOP."""
    header: list[str] | None = None
    lines: list[str] = []
    for raw in path.read_text(encoding="ascii").splitlines():
        if raw.startswith("*"):
            if header is not None:
                yield header, lines
            if raw.strip() == "*STOP":
                return
            header = raw.split()  # headers are irregular: split on whitespace, never on columns
            if header[0] != marker:
                raise ValueError(f"{path}: unexpected line {raw!r}")
            lines = []
        elif raw.strip():
            lines.append(raw.strip())
    if header is not None:
        yield header, lines


def _issue_date(fields: list[str]) -> datetime | None:
    # "01/04/63"; one header reads "08/30 63", so the date may span two fields.
    text = " ".join(fields)
    match = _DATE.match(text)
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    return datetime(1900 + year, month, day, tzinfo=timezone.utc)


def load_documents(path: Path) -> list[TimeDocument]:
    """TIME.ALL's documents in file order (the order TIME.REL's positions refer to)."""
    docs = []
    for header, lines in _blocks(path, "*TEXT"):
        number = header[1]
        try:
            page_at = header.index("PAGE")
        except ValueError:
            page_at = len(header)
        page = header[page_at + 1] if page_at + 1 < len(header) else ""
        docs.append(TimeDocument(number, _issue_date(header[2:page_at]), page, " ".join(lines)))
    numbers = [d.number for d in docs]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"{path}: duplicate *TEXT numbers")
    return docs


def load_queries(path: Path) -> list[TimeQuery]:
    """TIME.QUE's queries, text joined with spaces (upper case, as written)."""
    return [TimeQuery(header[1], " ".join(lines)) for header, lines in _blocks(path, "*FIND")]


def judged_position(number: int) -> int:
    """The 1-based position in TIME.ALL of a number judged in TIME.REL."""
    if number in LOST_RANGE or number < 1:
        raise ValueError(f"judged number {number} has no document in TIME.ALL")
    return number - SHIFT if number >= SHIFT_FROM else number


def load_judgements(path: Path) -> dict[str, list[int]]:
    """TIME.REL as written: query id -> judged numbers (positions in the original file)."""
    judged: dict[str, list[int]] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        fields = line.split()
        if fields:
            judged[fields[0]] = [int(n) for n in fields[1:]]
    return judged


def load_qrels(rel_path: Path, documents: list[TimeDocument]) -> dict[str, dict[str, int]]:
    """Relevance judgements keyed by *TEXT number: {query id: {TEXT number: 1}}."""
    qrels: dict[str, dict[str, int]] = {}
    for qid, numbers in load_judgements(rel_path).items():
        qrels[qid] = {documents[judged_position(n) - 1].number: 1 for n in numbers}
    return qrels


@dataclass(frozen=True)
class TimeCollection:
    documents: list[TimeDocument]
    queries: list[TimeQuery]
    qrels: dict[str, dict[str, int]]

    @classmethod
    def load(cls, directory: Path) -> "TimeCollection":
        documents = load_documents(directory / "TIME.ALL")
        return cls(documents, load_queries(directory / "TIME.QUE"), load_qrels(directory / "TIME.REL", documents))

    def judgement_count(self) -> int:
        return sum(len(docs) for docs in self.qrels.values())


def build_index(
    documents: Iterable[TimeDocument], directory: Path, schema: Schema | None = None, body_field: str = "body"
) -> windex.Index:
    """A Whoosh index of the documents: id = *TEXT number, text in `body_field`.

    With no schema, the product's (search.index.schema.build_schema()); the baseline
    passes its own. `published` is set when the schema has it.
    """
    if schema is None:
        from search.index.schema import build_schema

        schema = build_schema()
    directory.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(directory), schema)
    with ix.writer() as writer:
        for doc in documents:
            fields = {"id": doc.number, body_field: doc.text}
            if doc.issue is not None and "published" in schema:
                fields["published"] = doc.issue.replace(tzinfo=None)
            writer.add_document(**fields)
    return ix


def to_article(doc: TimeDocument, source_path: str = "TIME.ALL"):
    """The document as the product's readers would hand it over (for the product-path benchmark).

    TIME has no titles (the headline runs into the body), so the title stays
    empty and the text is indexed once, in the body, as in the other modes.
    """
    from search.article import Article, Origin

    return Article(
        id=doc.number,
        title="",
        origin=Origin(source_path, record=None),
        source="TIME",
        published=doc.issue,
        body=(doc.text,),
    )


def build_product_index(documents: Iterable[TimeDocument], index_dir: Path) -> Path:
    """A live index folder as `dateline reindex` lays it out, holding `to_document` documents.

    Entities are left empty: people and places feed facets, never the ranking.
    """
    from search.article import Entities
    from search.index import store as index_store
    from search.index.schema import build_schema, to_document

    generation = index_store.create_generation(index_dir, build_schema())
    ix = windex.open_dir(str(generation.path))
    with ix.writer() as writer:
        for doc in documents:
            writer.add_document(**to_document(to_article(doc), Entities()))
    index_store.publish(index_dir, generation)
    return index_dir
