"""Counting what a read produced, for the CLI and the indexer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from search.article import Article, Problem


@dataclass
class ReadReport:
    """Counts the articles and problems of a stream while passing it through unchanged."""

    articles: int = 0
    errors: int = 0
    warnings: int = 0
    problems: list[Problem] = field(default_factory=list)
    keep_problems: int = 1000  # enough to show; the counts stay exact beyond it

    def track(self, stream: Iterable[Article | Problem]) -> Iterator[Article | Problem]:
        for item in stream:
            self.add(item)
            yield item

    def add(self, item: Article | Problem) -> None:
        if isinstance(item, Article):
            self.articles += 1
            return
        if item.severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.problems) < self.keep_problems:
            self.problems.append(item)

    @property
    def problem_count(self) -> int:
        return self.errors + self.warnings

    def summary(self) -> str:
        def plural(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        return (
            f"{plural(self.articles, 'article')} read, {plural(self.errors, 'error')}, "
            f"{plural(self.warnings, 'warning')}"
        )
