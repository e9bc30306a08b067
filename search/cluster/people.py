"""The corpus-level person name map on the search cluster (search.entities.name_map).

The embedded engine applies the map when it opens a generation (search.index.columns): from the
person values each article gives itself and its name evidence (other labels, weak single names).
The cluster is always rebuilt whole, so a rebuild collects the same inputs while it reads, decides
the map with the same function before anything is written, and indexes each article's people as
the map shows them: facet counts and filters are then the engine's own, exact across shards.
Each stored article keeps its mentions as extracted (the `doc` column), so a later map can be
decided from them again.

Memory is that of the embedded engine's person column: a (document, value) pair per mention and
the distinct names, never the articles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.entities.name_map import NO_YEAR, NameEvidence, canonical_people
from search.index.columns import NO_DAY, day_number, facet_key
from search.index.schema import StoredArticle


@dataclass(frozen=True)
class MappedPeople:
    """The map's outcome for one generation, by the order articles were added."""

    labels: list[str]  # the canonical values
    doc_of: np.ndarray  # (document, value) pairs, sorted by document
    value_of: np.ndarray
    aliases: dict[str, str]  # the key of a stored form -> the canonical value it is shown as

    def of(self, docnum: int) -> list[int]:
        """One document's values (indexes into `labels`)."""
        first, last = np.searchsorted(self.doc_of, [docnum, docnum + 1])
        return self.value_of[first:last].tolist()


class GenerationPeople:
    """Each article's person values and name evidence, added in the order the rebuild writes them."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.keys: dict[str, int] = {}
        self.docs: list[int] = []
        self.values: list[int] = []
        self.days: list[int] = []
        self.evidence = NameEvidence()

    def add(self, stored: Mapping[str, Any]) -> int:
        """One stored article (search.index.schema.to_document); its document number."""
        docnum = len(self.days)
        article = StoredArticle.from_stored(stored)
        when = article.published
        self.days.append(day_number(when.date()) if when is not None else int(NO_DAY))
        self.evidence.add_article(docnum, stored.get("other_names"), stored.get("person_partial"))
        for value in article.people:  # as the embedded engine builds its column (search.index.columns)
            key = facet_key(value)
            if not key:
                continue
            value_id = self.keys.get(key)
            if value_id is None:
                value_id = self.keys[key] = len(self.labels)
                self.labels.append(value.strip())
            self.docs.append(docnum)
            self.values.append(value_id)
        return docnum

    def decide(self) -> MappedPeople:
        day = np.asarray(self.days, dtype=np.int64)
        years = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        years[day == NO_DAY] = NO_YEAR
        labels, _, doc_of, value_of, aliases = canonical_people(
            self.labels,
            np.asarray(self.docs, dtype=np.int32),
            np.asarray(self.values, dtype=np.int32),
            years,
            self.evidence,
        )
        return MappedPeople(labels, doc_of, value_of, {key: labels[value] for key, value in aliases.items()})
