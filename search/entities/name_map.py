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
  use a full name it fits (rivals named in one or two articles are noise: MIN_RIVAL_DOCS);
  otherwise it stays apart ("Baker" in a year of James Baker and Howard Baker);
- a weak single name (Entities.partial_people: named once, or a doubtful reading such as "Trump"
  as an organisation) shows only as the full name it joins, never as a value of its own;
- a name with a stray word, a middle name or middle initials left in ("HPM Sheikh Hasina",
  "Hillary Rodham Clinton", "Donald J. Trump") is the far more common name without them, unless
  initials tell two people apart ("George W. Bush", "George H. W. Bush"); a name with Jr/Sr is
  another person;
- two far more common names glued together ("Donald Trump Kellyanne Conway") are both people;
- a full name the model gave no span in an article (a weak mention of two words or more: "the
  Sheikh Hasina-led government") is that person where its year names it as a person in
  KNOWN_NAME_DOCS articles or more, and mostly as a person.

Memory is bounded by the number of distinct (year, name) pairs, never by the number of
articles: the counts come from the facet column's own arrays with numpy.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

import numpy as np

from search.entities.people import NAME_SUFFIXES, is_namesake_heir, name_key, same_ends

# "Nearly all": the share of a year's articles using a full name that fits a partial one,
# which one full name must have for the partial name to join it.
JOIN_SHARE = 0.8
# "Usually something else": the model gives the string another label in at least OTHER_SHARE
# times as many articles as support it as a person, and in at least MIN_OTHER_DOCS articles
# (one odd reading of a rare name is noise, not evidence).
OTHER_SHARE = 2
MIN_OTHER_DOCS = 3
# A full name joined by partial ones is named in full in at least this many articles that year.
MIN_FULL_DOCS = 2
# A rival full name counts against a join only when named in at least this many articles that
# year: a "full name" seen once or twice is as likely a headline misread ("Blames Obama", "Watch
# Obama") as a person, and such noise must not keep "Obama" from Barack Obama. Like
# MIN_OTHER_DOCS, one or two odd readings are noise, not evidence.
MIN_RIVAL_DOCS = 3
NO_YEAR = -1
# A full name the model missed in an article (a weak mention) is that person when the corpus names
# it as a person in at least this many articles of the year: a well-known name, not a one-off.
KNOWN_NAME_DOCS = 5


def _fits(short: list[str], long: list[str]) -> bool:
    n = len(short)
    if n >= len(long) or is_namesake_heir(short, long):
        return False
    return long[-n:] == short or long[:n] == short or same_ends(short, long)


def _joinable(short: list[str], long: list[str]) -> bool:
    """A corpus-level join: a single word joins by surname only (a first name alone is shared by
    too many people across a year); a longer partial name by its first or last words."""
    return long[-1] == short[0] if len(short) == 1 and len(long) > 1 else _fits(short, long)


class NameEvidence:
    """Counts over one generation that decide the name map."""

    def __init__(self) -> None:
        self.other_docs: Counter[str] = Counter()  # name key -> articles that call it something else
        # (document, form) of the single names too weak to show alone (Entities.partial_people):
        # as many as such mentions, like the column's own pairs.
        # as compact arrays: a document and a form id per mention, each distinct form kept once.
        self.partial_docs = array("i")
        self.partial_form_ids = array("i")
        self.forms: list[str] = []
        self._form_id: dict[str, int] = {}
        self.not_people: set[str] = set()
        self.glued: dict[str, tuple[str, str]] = {}  # name key -> the two names it is glued from

    @classmethod
    def of(
        cls, other_docs: Counter[str], forms: list[str], partial_docs: np.ndarray, partial_form_ids: np.ndarray
    ) -> NameEvidence:
        """The evidence counted already: articles per other-label name key, and the weak single
        names' distinct forms with a (document, form id) pair per mention, in document order."""
        evidence = cls()
        evidence.other_docs = other_docs
        evidence.forms = list(forms)
        evidence._form_id = {form: i for i, form in enumerate(forms)}
        evidence.partial_docs.frombytes(np.asarray(partial_docs, dtype=np.int32).tobytes())
        evidence.partial_form_ids.frombytes(np.asarray(partial_form_ids, dtype=np.int32).tobytes())
        return evidence

    def add_article(self, docnum: int, other_names: str | None, partial_people: str | None) -> None:
        """One stored article's evidence: its other-label name keys, its partial names."""
        if other_names:
            self.other_docs.update(set(other_names.split("\n")))
        if partial_people:
            for form in partial_people.split("\n"):
                form_id = self._form_id.get(form)
                if form_id is None:
                    form_id = self._form_id[form] = len(self.forms)
                    self.forms.append(form)
                self.partial_docs.append(docnum)
                self.partial_form_ids.append(form_id)

    def decide(self, person_docs: dict[tuple[int, str], int]) -> dict[tuple[int, str], str | None]:
        """(year, name key) -> the name key it is shown as, or None when it is not a person."""
        total: Counter[str] = Counter()
        for (_, key), count in person_docs.items():
            total[key] += count
        # Person support counts the fuller names a form is part of: "Trump" read as an
        # organisation in "Trump administration" is still mostly Donald Trump's name.
        # The weak single names are weighed too: one the model reads as an organisation in one
        # article ("Madrid") is no surname of Atletico Madrid when it usually is something else.
        weak = {name_key(form) for form in self.forms}
        support = {key: total.get(key, 0) for key in (*total, *weak)}
        for key, fuller in _fuller_names(support).items():
            support[key] += sum(total[other] for other in fuller)
        not_people = {
            key
            for key, count in support.items()
            if (other := self.other_docs.get(key, 0)) >= MIN_OTHER_DOCS and other >= OTHER_SHARE * count
        }
        self.not_people = not_people
        self.glued = glued_names(total)
        variants = {key: first for key, (first, _) in self.glued.items()}
        variants |= stray_word_variants(total) | initial_variants(total)
        by_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (year, key), count in person_docs.items():
            if key not in not_people:
                by_year[year][variants.get(key, key)] += count
        self.by_year = by_year
        decided: dict[tuple[int, str], str | None] = {
            (year, key): None for year, key in person_docs if key in not_people
        }
        for year, counts in by_year.items():
            for key, target in join_partial_names(counts).items():
                decided[(year, key)] = target
        for year, key in person_docs:
            if key in variants and key not in not_people:
                core = variants[key]
                decided[(year, key)] = decided.get((year, core), core)
        return decided


def _fuller_names(keys: Iterable[str]) -> dict[str, set[str]]:
    """Each name key -> the longer name keys it fits: their first words, their last words, or
    their first and last word. Each longer name is filed under every such part once, so the
    lookup is one dictionary access per name (no scan of every name sharing a common word)."""
    keys = list(keys)
    parts_of: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        words = key.split()
        for i in range(1, len(words)):
            parts_of[" ".join(words[i:])].add(key)
            parts_of[" ".join(words[:i])].add(key)
        if len(words) > 2:
            parts_of[f"{words[0]} {words[-1]}"].add(key)
    return {key: parts_of.get(key, set()) for key in keys}


# A name with one stray word before or after a far more common name ("HPM Sheikh Hasina",
# "Crooked Hillary Clinton", "George W. Bush Administration") is that name.
VARIANT_RATIO = 10
MIN_VARIANT_CORE_DOCS = 5


def stray_word_variants(total: dict[str, int]) -> dict[str, str]:
    """Name key -> the far more common name it is with one stray word (title-case headlines,
    unknown titles, "Administration" run on); years do not matter for a stray word."""
    variants: dict[str, str] = {}
    for key, count in total.items():
        words = key.split()
        if len(words) < 3:
            continue
        cores = [" ".join(words[1:])]
        if words[-1] not in NAME_SUFFIXES:
            cores.append(" ".join(words[:-1]))
            # A middle name left out ("Hillary Rodham Clinton", "Donald John Trump").
            cores += [" ".join(words[:i] + words[i + 1 :]) for i in range(1, len(words) - 1)]
        for core in cores:
            found = total.get(core, 0)
            if found >= MIN_VARIANT_CORE_DOCS and found >= VARIANT_RATIO * count:
                variants[key] = core
                break
    return variants


def glued_names(total: dict[str, int]) -> dict[str, tuple[str, str]]:
    """Name key -> the two far more common names it is made of, glued without punctuation
    ("donald trump kellyanne conway", from "Top aide to Donald Trump Kellyanne Conway told"): two
    people, each shown as themselves."""
    glued: dict[str, tuple[str, str]] = {}
    for key, count in total.items():
        words = key.split()
        for i in range(2, len(words) - 1):
            first, second = " ".join(words[:i]), " ".join(words[i:])
            if all(total.get(part, 0) >= max(MIN_VARIANT_CORE_DOCS, VARIANT_RATIO * count) for part in (first, second)):
                glued[key] = (first, second)
                break
    return glued


def initial_variants(total: dict[str, int]) -> dict[str, str]:
    """Name key -> the same name without its middle initials ("donald j trump" -> "donald trump"),
    when that form is more common and the initials are the only ones written between those first
    and last names often enough to count (MIN_RIVAL_DOCS): "george w bush" stays itself beside
    "george h w bush", since there the initials tell two people apart."""
    by_plain: dict[str, list[str]] = defaultdict(list)
    for key in total:
        words = key.split()
        if len(words) >= 3 and all(len(word) == 1 for word in words[1:-1]) and words[-1] not in NAME_SUFFIXES:
            by_plain[f"{words[0]} {words[-1]}"].append(key)
    variants: dict[str, str] = {}
    for plain, keys in by_plain.items():
        found = total.get(plain, 0)
        rivals = [key for key in keys if total[key] >= MIN_RIVAL_DOCS]
        if found < MIN_VARIANT_CORE_DOCS or len(rivals) > 1:
            continue
        variants.update({key: plain for key in keys if total[key] <= found})
    return variants


def _best_share(finals: Counter[str]) -> tuple[str, int, int] | None:
    """The most common target, its articles, and the articles of it and of its rivals (targets
    named often enough that year to count, MIN_RIVAL_DOCS)."""
    best = finals.most_common(1)
    if not best:
        return None
    target, count = best[0]
    rivals = sum(n for other, n in finals.items() if other != target and n >= MIN_RIVAL_DOCS)
    return target, count, count + rivals


def _joins(key: str, own: int, best: int, total: int) -> bool:
    """Whether a name joins the fuller name that has `best` of the `total` articles using a fuller
    name it fits: nearly all of them, in at least MIN_FULL_DOCS articles; and a name of two words
    or more ("Sheikh Hasina") joins only a fuller name more common than itself, never a rare
    variant ("HPM Sheikh Hasina", "George W. Bush Administration")."""
    if best < MIN_FULL_DOCS or best < JOIN_SHARE * total:
        return False
    return " " not in key or best > own


def partial_targets(
    partial: set[tuple[int, str]],
    by_year: dict[int, dict[str, int]],
    decided: dict[tuple[int, str], str | None],
    not_people: AbstractSet[str] = frozenset(),
) -> dict[tuple[int, str], str | None]:
    """Weak single names (year, key) -> the full name they join that year, or None: a weak name
    is shown only as the person a full name of its year nearly always is."""
    targets: dict[tuple[int, str], str | None] = {}
    indexes: dict[int, dict[str, list[str]]] = {}
    for year, key in partial:
        if key in not_people:
            targets[(year, key)] = None  # what the corpus calls something else joins no one
            continue
        joined = decided.get((year, key))
        if joined is not None and joined != key:
            targets[(year, key)] = joined  # the same word, named strongly elsewhere, joins a full name
            continue
        counts = by_year.get(year, {})
        index = indexes.get(year)
        if index is None:
            index = indexes[year] = defaultdict(list)
            for other in counts:
                words = other.split()
                if len(words) > 1:  # by surname: a first name alone is shared by too many people
                    index[words[-1]].append(other)
        finals: Counter[str] = Counter()
        for other in index.get(key, ()):
            if _fits([key], other.split()):
                final = decided.get((year, other), other)
                if final is not None:
                    finals[final] += counts[other]
        share = _best_share(finals)
        targets[(year, key)] = share[0] if share and _joins(key, 0, share[1], share[2]) else None
    return targets


def join_partial_names(counts: dict[str, int]) -> dict[str, str]:
    """For one year's names (key -> articles), each name's target: itself or the full name it joins."""
    words = {key: key.split() for key in counts}
    fuller = _fuller_names(counts)
    target: dict[str, str] = {}
    # Longest names first, so a partial name joins the final form of its full name.
    for key in sorted(counts, key=lambda k: -len(words[k])):
        candidates = {other for other in fuller[key] if _joinable(words[key], words[other])}
        if not candidates:
            target[key] = key
            continue
        finals: Counter[str] = Counter()
        for other in candidates:
            finals[target.get(other, other)] += counts[other]
        best, best_count, total = _best_share(finals) or ("", 0, 0)
        target[key] = best if _joins(key, counts[key], best_count, total) else key
    return target


def canonical_people(
    labels: list[str], doc_of: np.ndarray, value_of: np.ndarray, doc_year: np.ndarray, evidence: NameEvidence
) -> tuple[list[str], dict[str, int], np.ndarray, np.ndarray, dict[str, int]]:
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

    # Weak single names join a full name of their year or are left out: appended as extra
    # stored forms whose (year, form) codes are decided by partial_targets.
    # Their values are their own (ids from `stored` on), so that a weak mention never stands for
    # itself, even where the same word is a value of its own that year: it shows only as the full
    # name it joins ("Trump" read as an organisation is Donald Trump or nobody).
    stored = len(labels)
    if len(evidence.partial_docs):
        label_of: dict[str, int] = {}
        labels = list(labels)
        value_of_form = []
        for form in evidence.forms:
            value = label_of.get(facet_key(form))
            if value is None:
                value = label_of[facet_key(form)] = len(labels)
                labels.append(form)
            value_of_form.append(value)
        weak_values = np.asarray(value_of_form, dtype=np.int64)[
            np.frombuffer(evidence.partial_form_ids, dtype=np.int32)
        ]
        raw_keys = [name_key(label) for label in labels]
        uses = np.bincount(value_of, minlength=len(labels))
        weak_docs = np.frombuffer(evidence.partial_docs, dtype=np.int32).astype(np.int64)
        doc_of = np.concatenate([doc_of.astype(np.int64), weak_docs])
        value_of = np.concatenate([value_of.astype(np.int64), weak_values])
        weak_years = doc_year[weak_docs].astype(np.int64)
        years = np.concatenate([years, weak_years])
        year_ids, year_index = np.unique(years, return_inverse=True)
        codes = year_index.astype(np.int64) * max(1, len(labels)) + value_of
        unique_codes, code_index, code_counts = np.unique(codes, return_inverse=True, return_counts=True)
        weak_pairs = {(int(year), raw_keys[value]) for year, value in zip(weak_years.tolist(), weak_values.tolist())}
        decided = {**partial_targets(weak_pairs, evidence.by_year, decided, evidence.not_people), **decided}

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
        if final is None or (
            value >= stored and final == raw_keys[value] and not _known_name(final, int(year_ids[year]), evidence)
        ):
            continue  # not a person; or a weak mention that joins no full name
        label = best_form[final][1]
        cid = new_keys.get(facet_key(label))
        if cid is None:
            cid = new_keys[facet_key(label)] = len(new_labels)
            new_labels.append(label)
        mapped[i] = cid
        alias_votes[facet_key(labels[value])][cid] += int(code_counts[i])
    new_values = mapped[code_index] if len(codes) else np.zeros(0, dtype=np.int32)
    keep = new_values >= 0
    extra_docs, extra_values = _second_names(evidence, unique_codes, code_index, doc_of, labels, raw_keys, best_form)
    for label in extra_values:
        if facet_key(label) not in new_keys:
            new_keys[facet_key(label)] = len(new_labels)
            new_labels.append(label)
    pair_docs = np.concatenate([doc_of[keep].astype(np.int64), np.asarray(extra_docs, dtype=np.int64)])
    pair_values = np.concatenate(
        [new_values[keep].astype(np.int64), np.asarray([new_keys[facet_key(v)] for v in extra_values], dtype=np.int64)]
    )
    pairs = np.unique(pair_docs * max(1, len(new_labels)) + pair_values)
    new_doc_of = (pairs // max(1, len(new_labels))).astype(np.int32)
    new_value_of = (pairs % max(1, len(new_labels))).astype(np.int32)
    aliases = {key: votes.most_common(1)[0][0] for key, votes in alias_votes.items() if key not in new_keys}
    return new_labels, new_keys, new_doc_of, new_value_of, aliases


def _known_name(key: str, year: int, evidence: NameEvidence) -> bool:
    """Whether a weak mention of a full name stands for itself: the name (of two words or more) is
    named as a person in at least KNOWN_NAME_DOCS articles of its year ("Sheikh Hasina" where the
    model tagged nothing), and called something else in fewer than half as many articles ("Norsk
    Hydro", a company the model sometimes reads as a person, is no such name); a single word never
    stands for itself, it only joins a full name."""
    if " " not in key:
        return False
    named = evidence.by_year.get(year, {}).get(key, 0)
    return named >= KNOWN_NAME_DOCS and 2 * evidence.other_docs.get(key, 0) < named


def _second_names(
    evidence: NameEvidence,
    unique_codes: np.ndarray,
    code_index: np.ndarray,
    doc_of: np.ndarray,
    labels: list[str],
    raw_keys: list[str],
    best_form: dict[str, tuple[int, str]],
) -> tuple[list[int], list[str]]:
    """(documents, labels) of the second person of each glued name (NameEvidence.glued): the
    first is the name the glued form is mapped to; the second is added to the same documents."""
    if not evidence.glued:
        return [], []
    docs: list[int] = []
    values: list[str] = []
    width = max(1, len(labels))
    for i, code in enumerate(unique_codes.tolist()):
        parts = evidence.glued.get(raw_keys[code % width])
        if parts is None or parts[1] not in best_form:
            continue
        found = doc_of[code_index == i].tolist()
        docs.extend(found)
        values.extend([best_form[parts[1]][1]] * len(found))
    return docs, values
