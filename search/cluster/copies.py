"""Wire copies on the search cluster: grouped at rebuild time by search.index.duplicates, as the
embedded indexer groups them, and indexed as each row's group (`grp`, `copies`: ArticleRow.in_group).

The signatures of a rebuild are held in memory until it has read everything (64 numbers an
article, as the embedded indexer holds them); grouping needs them all.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from search.article import Article
from search.cluster.documents import doc_id
from search.index import duplicates
from search.index.indexer import SIGN_BATCH


class GenerationCopies:
    def __init__(self) -> None:
        self.signed: dict[str, np.ndarray] = {}
        self._unsigned: list[tuple[str, str]] = []

    def add(self, article: Article) -> None:
        self._unsigned.append((article.id, duplicates.article_text(article.title, article.body_text)))
        if len(self._unsigned) >= SIGN_BATCH:
            self._sign()

    def _sign(self) -> None:
        if self._unsigned:
            matrix = duplicates.signatures([text for _, text in self._unsigned])
            self.signed.update((article_id, row) for (article_id, _), row in zip(self._unsigned, matrix))
            self._unsigned = []

    def groups(self) -> dict[str, tuple[int, int]]:
        """Article id -> (its group: the doc_id of the group's label, the group's articles), for the
        articles that have copies."""
        self._sign()
        labels = duplicates.group(duplicates.Signatures.of(self.signed))
        sizes = Counter(labels.values())
        return {article_id: (doc_id(label), sizes[label]) for article_id, label in labels.items()}
