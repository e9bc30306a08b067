"""Outlying dates (year 1, year 9999) cannot bloat pages, and the page cache is bounded in bytes."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import orjson
import pytest

from helpers import Page, build_index, write_jsonl
from search.index.columns import MAX_BARS, date_histogram, day_number
from web import create_app


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("outliers")
    start = date(1987, 2, 1)
    records = [
        {
            "id": f"bulk-{i}",
            "title": f"Harbour report {i}",
            "body": [f"Harbour report number {i}."],
            "published": f"{start + timedelta(days=3 * i)}T10:00:00+00:00",
        }
        for i in range(80)
    ]
    records += [
        {
            "id": "year-one",
            "title": "Harbour typo",
            "body": ["A harbour report dated year one."],
            "published": "0001-01-01T12:00:00+00:00",
        },
        {
            "id": "year-9999",
            "title": "Harbour typo",
            "body": ["A harbour report dated 9999."],
            "published": "9999-12-30T12:00:00+00:00",
        },
    ]
    write_jsonl(root / "corpus" / "outliers.jsonl", records)
    build_index([root / "corpus"], root / "index")
    return root / "index"


def test_two_outliers_leave_the_histogram_on_the_bulk_and_say_so(index_dir):
    client = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()
    dates = orjson.loads(client.get("/api/search?q=harbour").data)["dates"]
    assert dates["unit"] == "month"
    assert dates["buckets"][0]["label"] == "Feb 1987" and dates["buckets"][-1]["label"] == "Sep 1987"
    assert (dates["before"], dates["after"]) == (1, 1)
    page = client.get("/?q=harbour")
    html = page.get_data(as_text=True)
    assert len(Page(html).find("a", cls="bar")) == len(dates["buckets"])
    assert "1 article dated before Feb 1987 and 1 article dated after Sep 1987 not shown." in html
    assert len(page.data) < 200_000  # was 3.1 MB: 9,999 bars


def test_just_the_outliers_still_get_a_bounded_histogram(index_dir):
    client = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()
    dates = orjson.loads(client.get("/api/search?q=typo").data)["dates"]
    assert len(dates["buckets"]) <= MAX_BARS
    assert sum(b["count"] for b in dates["buckets"]) + dates["before"] + dates["after"] == 2


def test_a_normal_spread_keeps_every_date():
    days = np.array([day_number(date(2020 + i % 4, 1 + i % 12, 1)) for i in range(9)], dtype=np.int32)
    histogram = date_histogram(days)
    assert (histogram.before, histogram.after) == (0, 0)
    assert sum(b.count for b in histogram.buckets) == 9


def test_the_page_cache_is_bounded_in_bytes(index_dir):
    app = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0, "CACHE_MB": 0.15})
    client = app.test_client()
    for i in range(40):
        assert client.get(f"/?q=harbour+{i}").status_code == 200
        assert client.get(f"/api/search?q=report+{i}").status_code == 200
    pages, results = app.extensions["dateline.searcher"].cached_bytes
    assert 0 < pages <= 150_000 and 0 < results <= 150_000
