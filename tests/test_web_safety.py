"""Nothing from articles or from the user reaches a page unescaped; every response carries the headers."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from helpers import IMG, MARKUP_STRINGS, SCRIPT, Page, shared_index
from web import create_app


@pytest.fixture(scope="module")
def client():
    return create_app({"INDEX_DIR": str(shared_index()), "REFRESH_INTERVAL": 0}).test_client()


def assert_no_raw_markup(html: str) -> None:
    for raw in MARKUP_STRINGS:
        assert raw not in html, f"unescaped {raw!r} in the page"
    assert not re.search(r"<(script|img|iframe|i)\b", html, re.I), "an injected element in the page"
    # Parsed as a browser would: no element may carry an event handler or a javascript: link.
    for element in Page(html).elements:
        assert element.tag not in ("script", "img", "iframe"), element
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            assert not (value or "").strip().lower().startswith("javascript:"), element


PAGES = [
    "/",
    "/?q=quayside",
    "/?q=fire+rotterdam",
    "/?q=dock+strike",
    "/?q=alert",
    "/?q=script+alert",
    "/?q=img+onerror",
    "/articles/web-test-script",
    "/articles/web-test-img",
    "/?source=%3Ci%3EEvil+Wire%3C%2Fi%3E",
    "/?q=quayside&sort=oldest&size=50",
]


@pytest.mark.parametrize("url", PAGES)
def test_article_markup_is_escaped_everywhere(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_no_raw_markup(response.get_data(as_text=True))


def test_markup_articles_are_found_and_shown_as_text(client):
    html = client.get("/articles/web-test-script").get_data(as_text=True)
    page = Page(html)
    assert page.one("h1").text == f"{SCRIPT} Quayside fire in Rotterdam"  # visible as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page.inside("kicker", "span")[0].text == "<i>Evil Wire</i>"
    # Its javascript: URL is not turned into a link.
    assert not [a for a in page.find("a") if "javascript" in a.href.lower()]
    assert "Original article" not in html
    good = Page(client.get("/articles/web-test-img").get_data(as_text=True))
    original = next(a for a in good.find("a") if a.text == "Original article")
    assert original.href == "https://example.org/dock-strike"
    assert "noopener" in original.attrs["rel"]


def test_highlighted_titles_and_snippets_stay_escaped(client):
    html = client.get("/?q=alert+fire").get_data(as_text=True)
    page = Page(html)
    titles = [a.text for a in page.inside("hit-title", "a")]
    assert any(SCRIPT in t for t in titles), titles  # shown literally...
    assert_no_raw_markup(html)  # ...never as markup
    assert "<mark>" in html


@pytest.mark.parametrize(
    "q",
    [
        SCRIPT,
        IMG,
        "</title><script>alert(1)</script>",
        '" autofocus onfocus="alert(1)',
        "quayside <script>alert(1)</script>",
        '"><img src=x onerror=alert(1)> quayside',
    ],
)
def test_what_the_user_types_is_never_reflected_raw(client, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_raw_markup(html.replace(quote(q), ""))
    page = Page(html)
    assert page.one("input", id="q").attrs["value"] == q  # the box shows what was typed, as a value
    assert q in page.find("title")[0].text  # the document title (SVG bars have titles too)


@pytest.mark.parametrize("facet", ["person", "place", "country", "source"])
def test_facet_values_with_markup_are_escaped_and_url_encoded(client, facet):
    value = '"><script>alert(1)</script>&x=1'
    response = client.get("/", query_string={"q": "quayside", facet: value})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_raw_markup(html)
    page = Page(html)
    chip = next(a for a in page.find("a", "chip") if value in a.text)
    assert chip.params == {"q": ["quayside"]}  # its link removes it; the & did not leak a parameter
    # Links that add another value keep this one, URL-encoded.
    adding = [a for a in page.inside("facet-values", "a") if len(a.params.get(facet, [])) == 2]
    assert adding and all(a.params[facet][0] == value for a in adding)
    assert all("%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%26x%3D1" in a.href for a in adding)
    hidden = [e.attrs["value"] for e in page.find("input", type="hidden") if e.attrs.get("name") == facet]
    assert value in hidden


def test_suggestion_and_notice_are_escaped(client):
    html = client.get("/", query_string={"q": '"<script>alert(1)</script> quaysdie'}).get_data(as_text=True)
    assert_no_raw_markup(html)


def test_error_pages_do_not_reflect_parameters_raw(client):
    for url in (
        "/?page=%3Cscript%3Ealert(1)%3C/script%3E",
        "/?sort=%3Cimg%20src=x%20onerror=alert(1)%3E",
        "/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/?from=%3Cscript%3E",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404)
        assert_no_raw_markup(response.get_data(as_text=True))


def test_json_is_json_and_carries_text_as_is(client):
    response = client.get("/api/articles/web-test-script")
    assert response.mimetype == "application/json"
    assert response.json["title"].startswith(SCRIPT)  # data, not markup: clients escape for their medium
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=quayside",
        "/articles/web-test-00",
        "/api/search",
        "/api/articles/nope",
        "/?page=abc",
        "/nowhere",
        "/static/style.css",
        "/api/openapi.json",
    ],
)
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("url", ["/", "/?q=quayside", "/articles/web-test-00", "/?page=abc"])
def test_pages_need_no_inline_script_or_style(client, url):
    html = client.get(url).get_data(as_text=True)
    assert "<script" not in html.lower()
    assert "<style" not in html.lower()
    assert not re.search(r"\sstyle\s*=", html), "an inline style attribute (CSP style-src 'self' forbids it)"
    assert not re.search(r"(src|href)=\"(https?:)?//", html.replace('href="https://example.org', "")), (
        "an external resource"
    )


def test_query_length_is_capped(client):
    assert client.get("/", query_string={"q": "a" * 1001}).status_code == 400
    assert client.get("/", query_string={"q": "a" * 1000}).status_code == 200


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("a <mark>oil</mark> b", "a <mark>oil</mark> b"),
        ("&lt;b&gt; <mark>x</mark>", "&lt;b&gt; <mark>x</mark>"),
        # Were the searcher ever to pass raw markup, only <mark> survives.
        ("<script>alert(1)</script><mark>x</mark>", "&lt;script&gt;alert(1)&lt;/script&gt;<mark>x</mark>"),
        ('<mark onclick="x">y</mark>', "&lt;mark onclick=&#34;x&#34;&gt;y</mark>".replace("</mark>", "")),
        ("<mark>unclosed", "<mark>unclosed</mark>"),
    ],
)
def test_highlight_keeps_only_mark_tags(raw, shown):
    from web.formatting import highlight

    assert str(highlight(raw)) == shown


@pytest.mark.parametrize(
    "url, kept",
    [
        ("https://example.org/a", True),
        ("http://x.y", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example", False),
        ("", False),
    ],
)
def test_only_http_links_leave_the_site(url, kept):
    from web.formatting import safe_url

    assert (safe_url(url) is not None) == kept
