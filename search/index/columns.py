"""Facet arrays: every document's facet values and day, as numpy arrays built once per index generation.

Counting facets with Whoosh means walking postings or stored fields for every
matching document on every request. Instead one pass over the stored documents
gives, per facet field, a list of (docnum, value id) pairs; counting the
values of a result set is then one boolean gather and one `bincount`.

That pass reads every stored document (a minute at a million articles), so it is made once per
Whoosh segment and saved beside it (search.index.segment_columns): a commit reads only the
documents of its new segments, and assembles the columns from every segment's saved arrays,
Whoosh's deletions and the corpus-level person name map, decided again over distinct values. The
result is saved as .npy files, one folder per Whoosh commit (`columns-<commit>/`), and every later
opener of the same commit maps them (`cached_collection`): a server starts, or switches to what a
reindex wrote, in the time it takes to read the labels.
"""

from __future__ import annotations

import shutil
import sys
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import orjson

from search.entities.name_map import NO_YEAR, NameEvidence, canonical_people
from search.index import segment_columns
from search.index.ranges import ranges
from search.index.saved import code_digest, loaded_or_made
from search.index.schema import FACET_FIELDS, StoredArticle
from search.index.segment_columns import (
    NO_DAY,
    NO_TIME,
    Pairs,
    cached_segment,
    day_and_time,
    drop_other_segments,
    segment_id,
)
from search.results import DateBucket, DateHistogram, FacetValue, visible_values

EPOCH = date(1970, 1, 1)


def facet_key(value: str) -> str:
    """The index term of a facet value: KEYWORD(commas=True, lowercase=True) strips and lower-cases."""
    return value.strip().lower()


def _loose_key(value: str) -> str:
    return " ".join(value.split()).casefold()


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_from_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


class FacetColumn:
    """One facet field: value labels as written, and the (docnum, value id) pairs of the index."""

    def __init__(
        self,
        name: str,
        labels: list[str],
        keys: dict[str, int],
        doc_of: np.ndarray,
        value_of: np.ndarray,
        aliases: dict[str, int] | None = None,
    ) -> None:
        self.name = name
        self.labels = labels
        self.keys = keys
        self.doc_of = doc_of
        self.value_of = value_of
        # Stored forms that show as another value (the person name map): "reagan" -> Ronald Reagan.
        # A mapped column is filtered by its arrays, never by the index's own terms.
        self.aliases = aliases or {}
        self.mapped = aliases is not None
        self._words: list[tuple[str, ...]] | None = None
        self._loose: dict[str, int] | None = None
        self._folded: list[str] | None = None
        self._label_rank: np.ndarray | None = None
        self._starts: np.ndarray | None | bool = False  # not yet known
        self._every: np.ndarray | None = None

    @property
    def label_rank(self) -> np.ndarray:
        """Each value's place in the case-insensitive order of the labels (ties in counts sort by it)."""
        if self._label_rank is None:
            rank = np.empty(len(self.labels), dtype=np.int64)
            rank[sorted(range(len(self.labels)), key=lambda v: self.labels[v].casefold())] = np.arange(len(self.labels))
            self._label_rank = rank
        return self._label_rank

    def counts(self, mask: np.ndarray, docnums: np.ndarray | None = None) -> np.ndarray:
        """How many of the documents in `mask` have each value; `docnums`: the mask's documents
        (np.flatnonzero(mask)), when the caller has them. Few documents are looked up by document,
        reading their pairs only; nearly all are every pair's counts less those of the few left out;
        the rest take one pass over every pair."""
        starts = self._doc_starts()
        if starts is not None:
            if docnums is None:
                docnums = np.flatnonzero(mask)
            if docnums.size * 4 < mask.size:
                return self._counts_of(docnums, starts)
            if docnums.size * 4 > 3 * mask.size:  # most documents: every pair's count less the others'
                return self._all_counts() - self._counts_of(np.flatnonzero(~mask), starts)
        return np.bincount(self.value_of[mask[self.doc_of]], minlength=len(self.labels))

    def _counts_of(self, docnums: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Counts over the pairs of `docnums` alone."""
        docnums = docnums[docnums < starts.size - 1]  # documents past the last pair have none
        pairs = ranges(starts[docnums], starts[docnums + 1])
        return np.bincount(self.value_of[pairs], minlength=len(self.labels))

    def _all_counts(self) -> np.ndarray:
        """Counts over every pair (deleted documents' too: the complement they are taken from has them)."""
        if self._every is None:
            self._every = np.bincount(self.value_of, minlength=len(self.labels))
        return self._every

    def _doc_starts(self) -> np.ndarray | None:
        """Where each document's pairs start, up to the last document having any (and where that one
        ends), when the pairs are in docnum order, as every generation writes them; else None."""
        if self._starts is False:
            doc_of = self.doc_of
            ordered = not doc_of.size or bool(np.all(doc_of[1:] >= doc_of[:-1]))
            last = int(doc_of[-1]) if doc_of.size else -1
            self._starts = np.searchsorted(doc_of, np.arange(last + 2)) if ordered else None
        return self._starts if isinstance(self._starts, np.ndarray) else None

    def docs_with(self, value_ids: list[int] | np.ndarray, size: int) -> np.ndarray:
        """Mask of documents having any of the values (an OR of the selection)."""
        mask = np.zeros(size, dtype=bool)
        if len(value_ids):
            mask[self.doc_of[np.isin(self.value_of, np.asarray(value_ids, dtype=np.int32))]] = True
        return mask

    def containing(self, text: str) -> np.ndarray:
        """Mask over value ids: the values that contain `text`, ignoring case and spacing."""
        if self._folded is None:
            self._folded = [_loose_key(label) for label in self.labels]
        needle = _loose_key(text)
        return np.fromiter((needle in label for label in self._folded), dtype=bool, count=len(self.labels))

    def values_of(self, docnum: int) -> list[str]:
        """One document's values as the column shows them (canonical people, not stored forms)."""
        starts = self._doc_starts()
        if starts is not None:
            if docnum + 1 >= starts.size:
                return []
            return [self.labels[v] for v in self.value_of[starts[docnum] : starts[docnum + 1]].tolist()]
        return [self.labels[v] for v in self.value_of[self.doc_of == docnum].tolist()]

    def value_id(self, value: str) -> int | None:
        """The id of a value as a user typed it: case and spacing do not matter."""
        found = self.keys.get(facet_key(value))
        if found is None:
            found = self.aliases.get(facet_key(value))
        if found is None:
            if self._loose is None:
                self._loose = {}
                for key, value_id in self.keys.items():
                    self._loose.setdefault(_loose_key(key), value_id)
            found = self._loose.get(_loose_key(value))
        return found

    def matching_keys(self, words: list[str], prefix: bool = False) -> list[str]:
        """Keys of values containing `words` in sequence (word boundaries), e.g. person:obama.

        With `prefix`, the last word may be the start of a word (person:oba*).
        """
        if not words:  # nothing to look for (person:"-" has no words): no value matches
            return []
        if self._words is None:
            self._words = [tuple(_loose_key(key).split()) for key in self.keys]
        n = len(words)
        found = []
        for key, value_words in zip(self.keys, self._words):
            for i in range(len(value_words) - n + 1):
                window = value_words[i : i + n]
                if list(window[:-1]) == words[:-1] and (
                    window[-1] == words[-1] or (prefix and window[-1].startswith(words[-1]))
                ):
                    found.append(key)
                    break
        return found


@dataclass
class Collection:
    """What the searcher knows about every document of one index generation, by docnum."""

    size: int  # doc_count_all: docnums run 0..size-1
    live: np.ndarray  # bool: not deleted
    ids: list[str | None]
    docnum_of: dict[str, int]
    day: np.ndarray  # int32 day number of the publication date as the article gives it, NO_DAY if none
    time: np.ndarray  # int64 UTC seconds, for sorting; NO_TIME if none
    facets: dict[str, FacetColumn]

    @classmethod
    def from_reader(cls, reader) -> Collection:
        """Reads every stored document (the reference `from_segments` must equal)."""
        size = reader.doc_count_all()
        live = np.zeros(size, dtype=bool)
        ids: list[str | None] = [None] * size
        day = np.full(size, NO_DAY, dtype=np.int32)
        utc = np.full(size, NO_TIME, dtype=np.int64)
        # Per facet: labels, label key -> value id, docnums, value ids.
        builders: dict[str, tuple[list[str], dict[str, int], list[int], list[int]]] = {
            name: ([], {}, [], []) for name in FACET_FIELDS
        }
        evidence = NameEvidence()
        for docnum, fields in reader.iter_docs():
            stored = StoredArticle.from_stored(fields)
            live[docnum] = True
            evidence.add_article(docnum, fields.get("other_names"), fields.get("person_partial"))
            ids[docnum] = stored.id
            day[docnum], utc[docnum] = day_and_time(stored.published)
            for name in FACET_FIELDS:
                labels, keys, docs, values = builders[name]
                for value in stored.facets[name]:
                    key = facet_key(value)
                    if not key:
                        continue
                    value_id = keys.get(key)
                    if value_id is None:
                        value_id = keys[key] = len(labels)
                        labels.append(value.strip())
                    docs.append(docnum)
                    values.append(value_id)
        facets = {
            name: FacetColumn(name, labels, keys, np.asarray(docs, dtype=np.int32), np.asarray(values, dtype=np.int32))
            for name, (labels, keys, docs, values) in builders.items()
        }
        facets["person"] = _canonical_people(facets["person"], day, evidence)
        docnum_of = {doc_id: n for n, doc_id in enumerate(ids) if doc_id is not None}
        return cls(size, live, ids, docnum_of, day, utc, facets)

    @classmethod
    def from_segments(cls, reader, folder: Path | None) -> Collection:
        """The collection assembled from each segment's columns (saved in `folder`, or read from the
        stored documents of the segments that have none): equal to `from_reader`, by docnum."""
        size = reader.doc_count_all()
        if not size:
            return cls.from_reader(reader)
        parts = []
        live = np.zeros(size, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            columns = cached_segment(leaf, folder)
            here = np.array(columns.present, dtype=bool)
            deleted = np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)
            here[deleted] = False
            live[offset : offset + columns.size] = here
            parts.append((columns, offset))
        day = np.where(live, np.concatenate([c.day for c, _ in parts]), NO_DAY).astype(np.int32)
        utc = np.where(live, np.concatenate([c.time for c, _ in parts]), NO_TIME).astype(np.int64)
        ids: list[str | None] = np.concatenate([c.ids for c, _ in parts]).tolist()
        for docnum in np.flatnonzero(~live).tolist():
            ids[docnum] = None
        facets = {}
        for name in FACET_FIELDS:
            docs, strings, texts = _live_pairs([(c.facets[name], offset) for c, offset in parts], live)
            key_of_text: dict[str, int] = {}
            text_key = np.asarray([key_of_text.setdefault(facet_key(t), len(key_of_text)) for t in texts], np.int64)
            value_of, first = _first_seen(text_key[strings], len(key_of_text))
            labels = [texts[t] for t in strings[first].tolist()]
            keys = {facet_key(label): value for value, label in enumerate(labels)}
            facets[name] = FacetColumn(name, labels, keys, docs.astype(np.int32), value_of.astype(np.int32))
        _, other, other_texts = _live_pairs([(c.evidence["other"], offset) for c, offset in parts], live)
        partial_docs, partial, forms = _live_pairs([(c.evidence["partial"], offset) for c, offset in parts], live)
        form_ids, first = _first_seen(partial, len(forms))
        evidence = NameEvidence.of(
            Counter(
                {other_texts[t]: n for t, n in enumerate(np.bincount(other, minlength=len(other_texts)).tolist()) if n}
            ),
            [forms[f] for f in partial[first].tolist()],
            partial_docs,
            form_ids,
        )
        facets["person"] = _canonical_people(facets["person"], day, evidence)
        docnum_of = {doc_id: n for n, doc_id in enumerate(ids) if doc_id is not None}
        return cls(size, live, ids, docnum_of, day, utc, facets)

    def save(self, folder: Path) -> None:
        """Writes the arrays as .npy files and the labels as JSON into `folder` (made here)."""
        folder.mkdir()
        np.save(folder / "live.npy", self.live)
        np.save(folder / "day.npy", self.day)
        np.save(folder / "time.npy", self.time)
        np.save(folder / "ids.npy", np.asarray(["" if i is None else i for i in self.ids], dtype=str))
        labels = {}
        for name, column in self.facets.items():
            np.save(folder / f"{name}.doc.npy", column.doc_of)
            np.save(folder / f"{name}.value.npy", column.value_of)
            labels[name] = {
                "labels": column.labels,
                "keys": column.keys,
                "aliases": column.aliases if column.mapped else None,
            }
        (folder / "labels.json").write_bytes(
            orjson.dumps({"code": columns_code(), "size": self.size, "facets": labels})
        )

    @classmethod
    def load(cls, folder: Path) -> Collection:
        """The collection `save` wrote, its arrays memory-mapped (read-only: every user copies before changing)."""
        meta = orjson.loads((folder / "labels.json").read_bytes())
        if meta.get("code") != columns_code() or set(meta["facets"]) != set(FACET_FIELDS):
            raise ValueError(f"{folder} holds columns made by other code")

        def array(name: str) -> np.ndarray:
            # A plain read-only view of the map: np.memmap's own indexing costs more on every request.
            return np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)

        live = array("live")
        ids: list[str | None] = np.load(folder / "ids.npy").tolist()
        for docnum in np.flatnonzero(~live).tolist():
            ids[docnum] = None
        facets = {}
        for name, found in meta["facets"].items():
            facets[name] = FacetColumn(
                name, found["labels"], found["keys"], array(f"{name}.doc"), array(f"{name}.value"), found["aliases"]
            )
        docnum_of = {doc_id: n for n, doc_id in enumerate(ids) if doc_id is not None}
        return cls(int(meta["size"]), live, ids, docnum_of, array("day"), array("time"), facets)

    def day_mask(self, start: date | None, end: date | None) -> np.ndarray:
        """Documents published on a day in [start, end]; undated documents never match."""
        mask = self.day != NO_DAY
        if start is not None:
            mask &= self.day >= day_number(start)
        if end is not None:
            mask &= self.day <= day_number(end)
        return mask


COLUMNS_FORMAT = 1  # raise when what `Collection.save` writes changes
COLUMNS_PREFIX = "columns-"


@cache
def columns_code() -> str:
    """A digest of the code that makes the columns from the stored articles (this module, the stored
    fields, the corpus-level person name map and the name keys it compares, the segments' columns):
    saved columns made by other code are made again."""
    from search.entities import name_map, people
    from search.index import schema

    return code_digest(COLUMNS_FORMAT, (sys.modules[__name__], schema, name_map, people, segment_columns))


def cached_collection(reader, folder: Path) -> Collection:
    """The collection of the commit `reader` reads in the index folder `folder`: mapped from its saved
    columns, or built from the stored documents and saved for the next opener (when the folder is
    writable; an unreadable or half-written save is built again). Older commits' columns go."""
    target = folder / f"{COLUMNS_PREFIX}{reader.generation()}"
    collection, saved = loaded_or_made(
        target, Collection.load, lambda: Collection.from_segments(reader, folder), Collection.save
    )
    if not saved:
        return collection
    newest = True
    for old in folder.glob(f"{COLUMNS_PREFIX}*"):
        if old != target and not old.name.startswith(f"{target.name}.tmp-"):
            number = old.name[len(COLUMNS_PREFIX) :].split(".")[0]
            if number.isdigit() and int(number) < reader.generation():
                shutil.rmtree(old, ignore_errors=True)  # a process that mapped them keeps its pages
            elif number.isdigit() and int(number) > reader.generation():
                newest = False
    if newest:  # a server still on an older commit keeps the segments of the newer one
        drop_other_segments(folder, {segment_id(leaf) for leaf, _ in reader.leaf_readers()})
    return collection


def _live_pairs(parts: list[tuple[Pairs, int]], live: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The segments' pairs as (docnum, string id) over the whole index, live documents only, in
    document order; string ids numbered over the distinct strings of every segment."""
    known: dict[str, int] = {}
    docs, strings = [], []
    for pairs, offset in parts:
        renumber = np.asarray([known.setdefault(text, len(known)) for text in pairs.strings], dtype=np.int64)
        docs.append(pairs.doc.astype(np.int64) + offset)
        strings.append(renumber[pairs.string] if len(pairs.string) else np.zeros(0, dtype=np.int64))
    all_docs, all_strings = np.concatenate(docs), np.concatenate(strings)
    keep = live[all_docs]
    return all_docs[keep], all_strings[keep], list(known)


def _first_seen(groups: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Groups numbered in the order they first appear (as a pass over the documents numbers them):
    each pair's new number, and the position of each numbered group's first pair."""
    present, first = np.unique(groups, return_index=True)
    order = np.argsort(first, kind="stable")
    number = np.full(max(count, 1), -1, dtype=np.int64)
    number[present[order]] = np.arange(len(present))
    return number[groups], first[order]


def _canonical_people(column: FacetColumn, day: np.ndarray, evidence: NameEvidence) -> FacetColumn:
    """The person column with the corpus-level name map applied (search.entities.name_map)."""
    years = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    years[day == NO_DAY] = NO_YEAR
    labels, keys, doc_of, value_of, aliases = canonical_people(
        column.labels, column.doc_of, column.value_of, years, evidence
    )
    return FacetColumn(column.name, labels, keys, doc_of, value_of, aliases)


def top_values(
    column: FacetColumn, counts: np.ndarray, selected: list[int], limit: int, selected_values: tuple[str, ...] = ()
) -> list[FacetValue]:
    """Values by count (then name), the first `limit` of them (0: all) and every selected value,
    even at count 0; a selected value the index does not know is listed at 0 too."""
    nonzero = np.flatnonzero(counts)
    # Sort by count descending, ties by label for a stable, readable order (numpy: a facet may have
    # thousands of values with a count).
    order = nonzero[np.lexsort((column.label_rank[nonzero], -counts[nonzero]))].tolist()
    chosen = set(selected)
    # Only the values that can be shown are made into FacetValues: a facet may have a million.
    wanted = order[:limit] + [v for v in order[limit:] if v in chosen] if limit > 0 else order
    listed = [FacetValue(column.labels[v], int(counts[v]), v in chosen) for v in wanted]
    listed += [FacetValue(column.labels[v], 0, True) for v in selected if not counts[v]]
    known = {column.labels[i].casefold() for i in selected}
    for value in selected_values:
        if column.value_id(value) is None and value.casefold() not in known:
            listed.append(FacetValue(value, 0, True))
            known.add(value.casefold())
    return visible_values(listed, limit)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_DAY_BUCKETS = 62  # two months of days; longer spans count months
MAX_MONTH_BUCKETS = 36  # three years of months; longer spans count years
MAX_BARS = 120  # longer spans of years count several years a bar
# The dates beyond this share at either end are outliers (a typo'd year 1 or 9999) when they stretch
# the span more than OUTLIER_STRETCH times and to a coarser unit: the histogram then covers the bulk
# between them and counts the rest as before/after.
OUTLIER_SHARE = 0.01
OUTLIER_STRETCH = 3


def _unit(first: int, last: int) -> str:
    """The bar unit a span of day numbers gets."""
    if last - first < MAX_DAY_BUCKETS:
        return "day"
    months = np.array([first, last]).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return "month" if months[1] - months[0] < MAX_MONTH_BUCKETS else "year"


def _bulk(days: np.ndarray) -> tuple[int, int]:
    """First and last day number of the histogram: all the dates, unless a few outliers would stretch
    it far, to a coarser unit than the bulk of them needs (then the bulk, trimmed at both ends)."""
    first, last = int(days.min()), int(days.max())
    trim = int(np.ceil(days.size * OUTLIER_SHARE))
    if days.size <= 2 * trim:
        return first, last
    low, high = np.partition(days, (trim, days.size - 1 - trim))[[trim, days.size - 1 - trim]]
    low, high = int(low), int(high)
    stretched = last - first > OUTLIER_STRETCH * max(high - low, 1) and _unit(low, high) != _unit(first, last)
    return (low, high) if stretched else (first, last)


def date_histogram(days: np.ndarray) -> DateHistogram:
    """The histogram of the dated days, saying how many have no date (NO_DAY)."""
    undated = int(np.count_nonzero(days == NO_DAY))
    return replace(_dated_histogram(days), undated=undated)


def _dated_histogram(days: np.ndarray) -> DateHistogram:
    """Buckets that fit the span of the dates: days up to two months, months up to three years, else years
    (several a bar beyond MAX_BARS). Outlying dates are counted in `before` and `after`, not drawn."""
    days = days[days != NO_DAY]
    if days.size == 0:
        return DateHistogram("year", [])
    low, high = _bulk(days)
    before, after = int(np.count_nonzero(days < low)), int(np.count_nonzero(days > high))
    days = days[(days >= low) & (days <= high)]
    first = day_from_number(low)
    unit = _unit(low, high)
    if unit == "day":
        buckets = []
        for offset, count in enumerate(np.bincount(days - low).tolist()):
            day = first + timedelta(days=offset)
            buckets.append(
                DateBucket(day.isoformat(), day.isoformat(), f"{day.day} {_MONTHS[day.month - 1]} {day.year}", count)
            )
        return DateHistogram("day", buckets, before, after)
    as_dates = days.astype("datetime64[D]")
    if unit == "month":
        months = as_dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        first_month = int(np.datetime64(first, "M").astype(np.int64))
        buckets = []
        for offset, count in enumerate(np.bincount(months - first_month).tolist()):
            year, month = divmod(first_month + offset, 12)
            year += 1970
            month += 1
            end = date(year, month, monthrange(year, month)[1])
            buckets.append(
                DateBucket(date(year, month, 1).isoformat(), end.isoformat(), f"{_MONTHS[month - 1]} {year}", count)
            )
        return DateHistogram("month", buckets, before, after)
    years = as_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    first_year, last_year = first.year, day_from_number(high).year
    step = -(-(last_year - first_year + 1) // MAX_BARS)  # years a bar: at most MAX_BARS bars
    buckets = []
    for offset, count in enumerate(np.bincount((years - first_year) // step).tolist()):
        from_year = first_year + offset * step
        to_year = min(from_year + step - 1, last_year)
        label = str(from_year) if step == 1 else f"{from_year}–{to_year}"
        buckets.append(DateBucket(date(from_year, 1, 1).isoformat(), date(to_year, 12, 31).isoformat(), label, count))
    return DateHistogram("year", buckets, before, after)
