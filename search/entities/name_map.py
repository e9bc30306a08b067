"""One person, one facet value across the corpus: the corpus-level name map.

Each article keeps the names it gives itself (search.entities.people: titles dropped, partial
mentions joined within the article) and the name-shaped strings the model called something
else. What only the whole corpus can tell is decided here, when a generation's facet columns
are built, so that a corpus-wide decision never rewrites an unchanged article and an
incremental reindex stays proportional to its change:

- spellings that differ only in dots, case or diacritics are one name ("George W. Bush",
  "George W Bush"), shown in the form most articles use;
- a string the model usually calls an organisation or a place (OTHER_SHARE) is not a person
  ("Gartner", "Rakhine State", "Lib Dems", "White House");
- a surname or partial name ("Reagan", "AMM Nasir") joins a full name when, among the articles
  of the same year, that full name accounts for nearly all (JOIN_SHARE) of the articles that
  use a full name it fits; otherwise it stays apart ("Baker" in a year of James Baker and
  Howard Baker).

Memory is bounded by the number of distinct (year, name) pairs, never by the number of
articles: the counts come from the facet column's own arrays with numpy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from search.entities.people import name_key

# "Nearly all": the share of a year's articles using a full name that fits a partial one,
# which one full name must have for the partial name to join it.
JOIN_SHARE = 0.8
# "Usually something else": the model gives the string another label in at least OTHER_SHARE
# times as many articles as support it as a person, and in at least MIN_OTHER_DOCS articles
# (one odd reading of a rare name is noise, not evidence).
OTHER_SHARE = 2
MIN_OTHER_DOCS = 3
NO_YEAR = -1


def _fits(short: list[str], long: list[str]) -> bool:
    n = len(short)
    if n >= len(long):
        return False
    return long[-n:] == short or long[:n] == short or (n >= 2 and long[0] == short[0] and long[-1] == short[-1])


class NameEvidence:
    """Counts over one generation that decide the name map."""

    def __init__(self) -> None:
        self.other_docs: Counter[str] = Counter()  # name key -> articles that call it something else

    def add_other_names(self, stored_value: str | None) -> None:
        if stored_value:
            self.other_docs.update(set(stored_value.split("\n")))

    def decide(self, person_docs: dict[tuple[int, str], int]) -> dict[tuple[int, str], str | None]:
        """(year, name key) -> the name key it is shown as, or None when it is not a person."""
        total: Counter[str] = Counter()
        for (_, key), count in person_docs.items():
            total[key] += count
        # Person support counts the fuller names a form is part of: "Trump" read as an
        # organisation in "Trump administration" is still mostly Donald Trump's name.
        support = dict(total)
        for key, fuller in _fuller_names(total).items():
            support[key] += sum(total[other] for other in fuller)
        not_people = {key for key, count in support.items()
                      if (other := self.other_docs.get(key, 0)) >= MIN_OTHER_DOCS and other >= OTHER_SHARE * count}
        by_year: dict[int, dict[str, int]] = defaultdict(dict)
        for (year, key), count in person_docs.items():
            if key not in not_people:
                by_year[year][key] = count
        decided: dict[tuple[int, str], str | None] = {(year, key): None for year, key in person_docs
                                                       if key in not_people}
        for year, counts in by_year.items():
            for key, target in join_partial_names(counts).items():
                decided[(year, key)] = target
        return decided


def _fuller_names(keys: Iterable[str]) -> dict[str, set[str]]:
    """Each name key -> the longer name keys it fits (shares first or last words with)."""
    words = {key: key.split() for key in keys}
    by_word: dict[str, list[str]] = defaultdict(list)
    for key, parts in words.items():
        if len(parts) > 1:
            by_word[parts[0]].append(key)
            by_word[parts[-1]].append(key)
    return {key: {other for word in {parts[0], parts[-1]} for other in by_word.get(word, ())
                  if _fits(parts, words[other])} for key, parts in words.items()}


def join_partial_names(counts: dict[str, int]) -> dict[str, str]:
    """For one year's names (key -> articles), each name's target: itself or the full name it joins."""
    words = {key: key.split() for key in counts}
    fuller = _fuller_names(counts)
    target: dict[str, str] = {}
    # Longest names first, so a partial name joins the final form of its full name.
    for key in sorted(counts, key=lambda k: -len(words[k])):
        candidates = fuller[key]
        if not candidates:
            target[key] = key
            continue
        finals: Counter[str] = Counter()
        for other in candidates:
            finals[target.get(other, other)] += counts[other]
        best, best_count = finals.most_common(1)[0]
        target[key] = best if best_count >= JOIN_SHARE * sum(finals.values()) else key
    return target


def canonical_people(labels: list[str], doc_of: np.ndarray, value_of: np.ndarray, doc_year: np.ndarray,
                     evidence: NameEvidence) -> tuple[list[str], dict[str, int], np.ndarray, np.ndarray, dict[str, int]]:
    """The person column with the name map applied.

    In: the column as stored (labels, and a (document, value) pair per mention) and each
    document's year (NO_YEAR when undated). Out: canonical labels, their keys, the new pairs
    (deduplicated), and aliases: the key of every stored form -> the canonical value it shows as.
    """
    from search.index.columns import facet_key  # the index term of a value (one definition)

    raw_keys = [name_key(label) for label in labels]
    uses = np.bincount(value_of, minlength=len(labels)) if len(labels) else np.zeros(0, dtype=np.int64)
    years = doc_year[doc_of].astype(np.int64) if len(doc_of) else np.zeros(0, dtype=np.int64)
    # One code per (year, stored value): the name map is decided per year.
    year_ids, year_index = np.unique(years, return_inverse=True)
    codes = year_index.astype(np.int64) * max(1, len(labels)) + value_of
    unique_codes, code_index, code_counts = np.unique(codes, return_inverse=True, return_counts=True)
    person_docs: Counter[tuple[int, str]] = Counter()
    for code, count in zip(unique_codes.tolist(), code_counts.tolist()):
        year, value = divmod(code, max(1, len(labels)))
        person_docs[(int(year_ids[year]), raw_keys[value])] += count
    decided = evidence.decide(person_docs)

    # The form shown for a name key: the one most mentions use.
    best_form: dict[str, tuple[int, str]] = {}
    for value, key in enumerate(raw_keys):
        if (uses[value], labels[value]) > best_form.get(key, (-1, "")):
            best_form[key] = (int(uses[value]), labels[value])
    new_labels: list[str] = []
    new_keys: dict[str, int] = {}
    alias_votes: dict[str, Counter[int]] = defaultdict(Counter)
    mapped = np.full(len(unique_codes), -1, dtype=np.int32)
    for i, code in enumerate(unique_codes.tolist()):
        year, value = divmod(code, max(1, len(labels)))
        final = decided.get((int(year_ids[year]), raw_keys[value]), raw_keys[value])
        if final is None:
            continue
        label = best_form[final][1]
        cid = new_keys.get(facet_key(label))
        if cid is None:
            cid = new_keys[facet_key(label)] = len(new_labels)
            new_labels.append(label)
        mapped[i] = cid
        alias_votes[facet_key(labels[value])][cid] += int(code_counts[i])
    new_values = mapped[code_index] if len(codes) else np.zeros(0, dtype=np.int32)
    keep = new_values >= 0
    pairs = np.unique(doc_of[keep].astype(np.int64) * max(1, len(new_labels)) + new_values[keep])
    new_doc_of = (pairs // max(1, len(new_labels))).astype(np.int32)
    new_value_of = (pairs % max(1, len(new_labels))).astype(np.int32)
    aliases = {key: votes.most_common(1)[0][0] for key, votes in alias_votes.items() if key not in new_keys}
    return new_labels, new_keys, new_doc_of, new_value_of, aliases

