"""The engine seam: Whoosh implements it, and the front ends need nothing else from an engine."""

from __future__ import annotations

from helpers import ARTICLES, index_articles
from search.engine.interface import IndexEngine, SearchEngine
from search.engine.whoosh_engine import WhooshIndex, open_search_engine
from search.results import ArticleView, DateHistogram, FacetValue, Hit, SearchRequest, SearchResult
from web import create_app
from web.index_access import SearcherHolder


def test_whoosh_implements_both_sides(tmp_path):
    index_dir = index_articles(tmp_path / "index", ARTICLES)
    engine = open_search_engine(index_dir)
    try:
        assert isinstance(engine, SearchEngine)
        assert engine.search(SearchRequest(q="rocket")).total > 0
        assert engine.suggest("rokcet") in ("rocket", "rockets")  # as the archive most often writes it
        assert engine.suggest("rocket") is None
    finally:
        engine.close()
    assert isinstance(WhooshIndex(index_dir), IndexEngine)


class CannedEngine:
    """An engine that is not Whoosh: the page and the API must work with it alone."""

    def __init__(self) -> None:
        self.requests: list[SearchRequest] = []

    def search(self, request: SearchRequest) -> SearchResult:
        self.requests.append(request)
        hit = Hit(
            id="c1",
            title="Canned harbour news",
            title_html="Canned <mark>harbour</mark> news",
            snippets=["from the canned engine"],
            published=None,
            source="Cannery",
            people=[],
            places=[],
            url=None,
            score=1.0,
        )
        return SearchResult(
            query=request.q,
            interpreted_as=None,
            notice=None,
            total=1,
            page=1,
            page_size=request.page_size,
            pages=1,
            sort=request.sort,
            results=[hit],
            facets={"source": [FacetValue("Cannery", 1, False)]},
            dates=DateHistogram("year", []),
            suggestion=None,
        )

    def export(self, request: SearchRequest, limit: int) -> SearchResult:
        return self.search(request)

    def article(self, article_id: str) -> ArticleView | None:
        return None

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        return []

    def marked_body(self, article_id: str, q: str) -> list[str] | None:
        return None

    def suggest(self, q: str) -> str | None:
        return None

    def refresh(self) -> bool:
        return False

    def close(self) -> None:
        pass


def test_the_web_app_talks_to_any_engine(tmp_path):
    index_dir = index_articles(tmp_path / "index", ARTICLES)  # only its version is read: CURRENT
    engine = CannedEngine()
    assert isinstance(engine, SearchEngine)
    holder = SearcherHolder(index_dir, opener=lambda _: engine, background=False)
    client = create_app({"INDEX_DIR": str(index_dir), "SEARCHER_HOLDER": holder}).test_client()
    data = client.get("/api/search?q=harbour&source=Cannery").json
    assert [hit["id"] for hit in data["results"]] == ["c1"] and data["facets"]["source"][0]["value"] == "Cannery"
    assert engine.requests[-1].selected("source") == ("Cannery",)
    page = client.get("/?q=harbour").get_data(as_text=True)
    assert "from the canned engine" in page
    assert client.get("/articles/c1").status_code == 404
    # Entity pages are two searches through the seam: the person as a filter, then as a phrase.
    assert client.get("/api/people/Kim").json["total"] == 1
    assert engine.requests[-1].selected("person") == ("Kim",) and engine.requests[-1].q == '"Kim"'
