"""A real browser (Debian's headless Chromium) against a real `dateline serve` over a real index."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import QUAYSIDE_COUNT, shared_index
from search.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OUT = PROJECT_ROOT / "tests" / "out"


def _need_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"Chromium not installed ({', '.join(missing)}): apt-get install chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def server():
    """`dateline serve` on a free port of 127.0.0.1, in its own process."""
    index_dir = shared_index()
    dateline = Path(sys.executable).with_name("dateline")
    command = [str(dateline)] if dateline.exists() else [sys.executable, "-m", "search.cli"]
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "4", "--index", str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert match, f"dateline serve did not start: {line!r} {process.stdout.read() if process.poll() else ''}"
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dateline-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never downloads anything.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def navigate(driver, action) -> None:
    """Runs an action that loads a new page and waits until that page has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    action()
    wait = WebDriverWait(driver, 15)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def params(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def screenshot(driver, name: str, width: int, height: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, height)
    time.sleep(0.2)  # let the layout settle at the new width
    path = OUT / name
    driver.save_screenshot(str(path))
    return path


def no_console_errors(driver) -> None:
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors  # CSP violations and failed loads show up here


def test_search_narrow_page_and_read(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(server + "/")
    assert driver.title == "Dateline"
    # The empty page puts the cursor in the box.
    assert driver.switch_to.active_element.get_attribute("id") == "q"
    screenshot(driver, "browse.png", 1280, 1000)

    # Search.
    box = driver.find_element(By.ID, "q")
    navigate(driver, lambda: box.send_keys("quayside", Keys.ENTER))
    assert params(driver)["q"] == ["quayside"]
    assert f"{QUAYSIDE_COUNT} articles found" in driver.find_element(By.CSS_SELECTOR, "p.count").text
    assert driver.find_elements(By.CSS_SELECTOR, ".hit-title mark")
    screenshot(driver, "results.png", 1280, 1000)
    screenshot(driver, "results-phone.png", 390, 844)
    driver.set_window_size(1280, 1000)
    # Other pages do not grab focus: the first Tab stop is the skip link, and it leads to the content.
    assert driver.switch_to.active_element.tag_name == "body"
    ActionChains(driver).send_keys(Keys.TAB).perform()
    assert driver.switch_to.active_element.get_attribute("class") == "skip-link"
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    assert urlsplit(driver.current_url).fragment == "main"
    no_console_errors(driver)

    # Tick a person in the sidebar.
    person = driver.find_element(By.CSS_SELECTOR, ".filters .facet-values a.facet-value")
    name = person.find_element(By.CSS_SELECTOR, ".name").text
    navigate(driver, person.click)
    assert params(driver)["person"] == [name] and params(driver)["q"] == ["quayside"]
    selected = driver.find_element(By.CSS_SELECTOR, ".facet-value.selected .name")
    assert selected.text == name
    assert name in driver.find_element(By.CSS_SELECTOR, ".chips").text
    filtered_total = int(driver.find_element(By.CSS_SELECTOR, "p.count").text.split()[0])
    assert 0 < filtered_total < QUAYSIDE_COUNT
    screenshot(driver, "facet.png", 1280, 1000)

    # Follow the tallest timeline bar.
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.timeline-chart a")
    assert bars
    bar = max(
        bars,
        key=lambda b: int(re.search(r": ([\d,]+) article", b.get_attribute("aria-label")).group(1).replace(",", "")),
    )
    expected = int(re.search(r": ([\d,]+) article", bar.get_attribute("aria-label")).group(1).replace(",", ""))
    driver.execute_script("arguments[0].scrollIntoView()", bar)
    navigate(driver, bar.find_element(By.CSS_SELECTOR, "rect.bar-fill").click)
    state = params(driver)
    assert state["person"] == [name] and "from" in state and "to" in state
    assert int(driver.find_element(By.CSS_SELECTOR, "p.count").text.split()[0]) == expected
    assert driver.find_element(By.CSS_SELECTOR, ".chips").text.count("Dates:") == 1

    # Back to all quayside articles, then page.
    driver.get(server + "/?q=quayside")
    first_page = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")]
    navigate(driver, driver.find_element(By.CSS_SELECTOR, ".pagination a[rel=next]").click)
    assert params(driver)["page"] == ["2"]
    current = driver.find_element(By.CSS_SELECTOR, ".pagination a[aria-current=page]")
    assert current.text.strip().endswith("2")
    second_page = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")]
    assert second_page and not set(first_page) & set(second_page)
    navigate(driver, driver.back)
    assert [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")] == first_page

    # Open an article.
    link = driver.find_element(By.CSS_SELECTOR, ".hit-title a")
    title = link.text
    navigate(driver, link.click)
    assert urlsplit(driver.current_url).path.startswith("/articles/")
    assert driver.find_element(By.TAG_NAME, "h1").text == title
    assert driver.find_elements(By.CSS_SELECTOR, ".article-body p")
    assert driver.find_elements(By.CSS_SELECTOR, ".related .hit-title a")
    no_console_errors(driver)
    screenshot(driver, "article.png", 1280, 1000)
    screenshot(driver, "article-phone.png", 390, 844)
    driver.set_window_size(1280, 1000)

    # The article opened from the search remembers it: the words marked, next hit, back to results.
    assert {m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, ".article-body mark")} == {"quayside"}
    assert "Result 1 of" in driver.find_element(By.CSS_SELECTOR, ".hit-position").text
    assert not driver.find_elements(By.CSS_SELECTOR, "a.previous-hit")
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.next-hit").click)
    assert driver.current_url == first_page[1]  # the second hit, with its search
    assert "Result 2 of" in driver.find_element(By.CSS_SELECTOR, ".hit-position").text
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.previous-hit").click)
    assert driver.current_url == first_page[0]
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.back-to-results").click)
    assert params(driver) == {"q": ["quayside"]} and urlsplit(driver.current_url).fragment == "hit-1"
    navigate(driver, driver.back)

    # A place on the article page has a page of its own: its articles over time, who is named with it.
    place = driver.find_element(By.CSS_SELECTOR, ".article-side a.entity-page[href^='/places/']")
    place_name = place.text
    navigate(driver, place.click)
    assert urlsplit(driver.current_url).path.startswith("/places/")
    assert driver.find_element(By.TAG_NAME, "h1").text == place_name
    assert driver.find_elements(By.CSS_SELECTOR, "svg.timeline-chart a")
    assert driver.find_elements(By.CSS_SELECTOR, ".latest .hit-title a")
    no_console_errors(driver)
    screenshot(driver, "entity.png", 1280, 1000)
    driver.set_window_size(1280, 1000)
    # ... and from there, the search of every article naming it.
    navigate(driver, driver.find_element(By.LINK_TEXT, "Search them").click)
    assert params(driver) == {"place": [place_name]}
    assert place_name in driver.find_element(By.CSS_SELECTOR, ".chips").text


def test_markup_in_articles_never_runs(server, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(server + "/?q=alert+fire")
    # An alert() would leave a dialog open and fail the next command; the text shows literally.
    assert "<script>alert(1)</script>" in driver.find_element(By.CSS_SELECTOR, ".hits").text
    driver.get(server + "/articles/web-test-script")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("<script>alert(1)</script>")
    assert driver.execute_script("return document.querySelectorAll('script, img').length") == 0
    no_console_errors(driver)


def test_phone_layout_puts_filters_below_results(server, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.set_window_size(390, 844)
    try:
        driver.get(server + "/?q=quayside")
        results = driver.find_element(By.CSS_SELECTOR, ".results").rect
        filters = driver.find_element(By.CSS_SELECTOR, ".filters").rect
        assert filters["y"] >= results["y"] + results["height"] - 1
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    finally:
        driver.set_window_size(1280, 1000)


def test_wire_copies_export_and_feed_from_the_page(server, browser):
    from selenium.webdriver.common.by import By

    driver = browser

    def last_page() -> int:
        return max(
            int(n)
            for a in driver.find_elements(By.CSS_SELECTOR, ".pagination a")
            if (n := a.text.strip().split()[-1]).isdigit()
        )

    driver.get(server + "/?q=quayside")
    folded_pages = last_page()
    # The templated quayside reports are near duplicates: folded, each with its other versions.
    versions = driver.find_element(By.CSS_SELECTOR, ".hit details.versions")
    assert not versions.find_element(By.CSS_SELECTOR, "ul").is_displayed()
    versions.find_element(By.TAG_NAME, "summary").click()
    listed = versions.find_elements(By.CSS_SELECTOR, "ul a")
    assert listed and listed[0].is_displayed()
    assert re.fullmatch(r"\d+ other versions?", versions.find_element(By.TAG_NAME, "summary").text)
    feed = driver.find_element(By.CSS_SELECTOR, "link[rel=alternate][type='application/atom+xml']")
    assert urlsplit(feed.get_attribute("href")).path == "/feed.atom"
    # The export links answer what they say, from the page's own origin.
    csv_link = driver.find_element(By.CSS_SELECTOR, ".exports a[href^='/api/search.csv']")
    text = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
        csv_link.get_attribute("href"),
    )
    assert text.splitlines()[0].startswith("id,published,")
    no_console_errors(driver)
    # Every copy, on request.
    navigate(driver, driver.find_element(By.CSS_SELECTOR, "a.collapse-toggle").click)
    assert params(driver)["collapse"] == ["off"]
    assert driver.find_element(By.CSS_SELECTOR, "a.collapse-toggle").text == "Fold wire copies"
    assert last_page() == -(-QUAYSIDE_COUNT // 10) > folded_pages  # every copy is a hit
