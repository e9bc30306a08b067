"""The Flask front end: the search page, article pages and the JSON API (`create_app`)."""

from web.app import create_app

__all__ = ["create_app"]
