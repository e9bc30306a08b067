"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from search.settings import PROJECT_ROOT

SHARED = Path(os.environ.get("DATELINE_SHARED", PROJECT_ROOT.parent / "shared"))
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; in CI its absence fails the test, elsewhere it skips with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"real data missing: {path} (tests read ../shared beside the repo)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def shared():
    """`shared("corpus", "pages")` -> Path, failing in CI / skipping elsewhere when missing."""
    return shared_path


@pytest.fixture(scope="module")
def app():
    """The real Flask app over the web tests' real index (built once per run)."""
    from helpers import shared_index
    from web import create_app

    return create_app({"INDEX_DIR": str(shared_index()), "REFRESH_INTERVAL": 0})


@pytest.fixture
def client(app):
    return app.test_client()
