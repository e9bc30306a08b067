"""Fixtures shared by every test module."""

from __future__ import annotations

import pytest

from helpers import shared_path


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
