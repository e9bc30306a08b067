"""English vocabulary: which capitalised words around a name are ordinary words, not parts of it.

From the lemmatizer tables that ship inside the spaCy model Dateline already uses (WordNet's
index of verbs, adjectives and adverbs, and its irregular forms), loaded once per process where
the rules run, on first use (about 20 MB of RSS, measured). The noun index is no evidence here: it holds many given names ("elizabeth", "warren",
"james", "drew"); a word it holds is never called a mere inflected verb form.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from search import spacy_model

# Function words that are also given names or surnames ("Will Smith", "Theresa May").
_NAME_LIKE_FUNCTION_WORDS = frozenset({"will", "may", "can", "us"})
_VOWELS = frozenset("aeiou")
_ROMAN = re.compile(r"[ivx]+")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    inflected_verbs: frozenset[str]  # "slams", "denies", "disavowing": regular forms, none a noun too
    words: frozenset[str]  # verbs, adjectives and adverbs in every form, and function words
    function_words: frozenset[str]  # spaCy's English stop words ("to", "top", "between"), none a name


def is_inflected_verb(word: str) -> bool:
    """ "Slams", "Assails", "WATCHED", "Disavowing": a verb form no given name takes ("Drew", "Brooks",
    "James" are nouns too, so they are none)."""
    return word.casefold() in vocabulary().inflected_verbs


def is_function_word(word: str) -> bool:
    """ "To", "Top", "Between", "Besides"; not "Will" nor "May" (Will Smith, Theresa May)."""
    return word.casefold() in vocabulary().function_words


def is_english_word(word: str) -> bool:
    """ "Chief", "Pride", "To": a verb, adjective, adverb or function word in any form; no initial
    ("A.", "I") and no numeral ("III")."""
    folded = word.casefold().rstrip(".")
    return len(folded) > 1 and not _ROMAN.fullmatch(folded) and folded in vocabulary().words


@functools.lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    from spacy.lang.en.stop_words import STOP_WORDS  # spaCy is loaded here only: importing it takes a second
    from spacy.lookups import Lookups

    function_words = frozenset(word for word in STOP_WORDS if word.isalpha()) - _NAME_LIKE_FUNCTION_WORDS
    tables = Lookups().from_disk(_lookups_path())
    index, irregular = tables.get_table("lemma_index"), tables.get_table("lemma_exc")
    verbs = frozenset(index["verb"])
    nouns = frozenset(index["noun"])
    forms = {form for verb in verbs for form in _regular_forms(verb)}
    words = verbs | forms | set(irregular["verb"]) | frozenset(index["adj"]) | frozenset(index["adv"])
    # Irregular forms are no evidence: given names hide among them ("Drew", "Rose", "Won", "Said").
    return Vocabulary(frozenset(forms - nouns - verbs), frozenset(words | function_words), function_words)


def _lookups_path() -> Path:
    found = sorted(spacy_model.package_dir().glob("*/lemmatizer/lookups"))
    if not found:
        raise RuntimeError(f"the spaCy model {spacy_model.MODEL} has no lemmatizer tables (scripts/install)")
    return found[0]


def _regular_forms(verb: str) -> set[str]:
    """The -s, -ed and -ing forms English spelling gives a regular verb ("jam": "jams", "jammed",
    "jamming", never "james" or "jamed")."""
    if " " in verb or "_" in verb or len(verb) < 2:
        return set()
    forms = set()
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(verb + "es")
    elif verb.endswith("y") and verb[-2] not in _VOWELS:
        forms.add(verb[:-1] + "ies")
    else:
        forms.add(verb + "s")
    if verb.endswith("e"):
        forms |= {verb + "d", (verb if verb.endswith(("ee", "ye", "oe")) else verb[:-1]) + "ing"}
    elif verb.endswith("y") and verb[-2] not in _VOWELS:
        forms |= {verb[:-1] + "ied", verb + "ing"}
    else:
        # A short vowel before one final consonant doubles it: "slam", "slammed"; always in one
        # syllable, optionally in longer words ("visited", "committed").
        doubles = len(verb) >= 3 and verb[-1] not in _VOWELS | {"w", "x", "y"} and verb[-2] in _VOWELS
        doubles = doubles and verb[-3] not in _VOWELS
        single_syllable = (
            sum(1 for i, c in enumerate(verb) if c in _VOWELS and (i == 0 or verb[i - 1] not in _VOWELS)) == 1
        )
        if doubles:
            forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
        if not (doubles and single_syllable):
            forms |= {verb + "ed", verb + "ing"}
    return forms
