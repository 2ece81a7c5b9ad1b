"""The docs site as a person sees it: the index and a schedule page rendered by headless Chromium at
1280 px, at 480 px (a phone) and in dark mode, with screenshots written for review.

Uses Debian's `chromium` and `chromium-driver` through Selenium (no browser download). Without them the
test skips with one line; CI sets SYMBI_REQUIRE_BROWSER=1 (in `.ci/run`), which turns that skip into a
failure. Screenshots go to $SYMBI_SCREENSHOTS, else `build/docs-screenshots/` in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import NOW_ISO, REPO, run_symbi
from .test_svg import HELLO_STEPS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MOBILE, DESKTOP = 480, 1280
NUMBER = re.compile(r"^\d[\d,]*(–\d[\d,]*)?$")


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return ", ".join(missing) or None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        message = f"browser layout test needs {missing} (apt-get install chromium chromium-driver)"
        if os.environ.get("SYMBI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples' site (it has an every-20-seconds schedule among daily ones), at the tests' now."""
    out = tmp_path_factory.mktemp("site")
    r = run_symbi("docs", "examples", "-o", str(out), "--now", NOW_ISO, cwd=REPO)
    assert r.code == 0, r.err
    return out


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("SYMBI_SCREENSHOTS") or REPO / "build" / "docs-screenshots")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def show(driver: Any, page: Path, width: int, dark: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width <= MOBILE},
    )
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    driver.get(page.as_uri())


def screenshot(driver: Any, folder: Path, name: str, width: int) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": min(int(height), 6000), "deviceScaleFactor": 1, "mobile": width <= MOBILE},
    )
    driver.save_screenshot(str(folder / f"{name}.png"))


# Relative luminance and contrast ratio as WCAG 2 defines them, computed from the browser's colours.
CONTRAST_JS = """
function rgb(c) { return c.match(/[\\d.]+/g).slice(0, 3).map(Number); }
function lum(c) {
  const [r, g, b] = rgb(c).map(v => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function ratio(a, b) {
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
"""

LEGEND_JS = (
    CONTRAST_JS
    + """
const steps = [...document.querySelectorAll('svg .legend g.step')].map(g => {
  const rect = g.querySelector('rect'), text = g.querySelector('text');
  const fill = getComputedStyle(rect).fill, ink = getComputedStyle(text).fill;
  return {label: text.textContent, fill: fill, lum: lum(fill), contrast: ratio(fill, ink)};
});
const cells = [...document.querySelectorAll('svg .cells rect')].map(r => getComputedStyle(r).fill);
const body = getComputedStyle(document.body);
return {steps: steps, darkestCell: Math.min(...cells.map(lum)),
        page: ratio(body.color, body.backgroundColor), background: lum(body.backgroundColor)};
"""
)

LAYOUT_JS = """
const doc = document.documentElement;
const lines = [...document.querySelectorAll('time.when')].map(t => t.getClientRects().length);
const labels = ['Next run', 'Delivery', 'Policy'].map(label =>
  [...document.querySelectorAll(`td[data-label="${label}"]`)].map(td => {
    const r = td.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth + 0.5;
  }));
const svg = document.querySelector('.heatmap svg').getBoundingClientRect();
const hour = document.querySelector('.heatmap svg text.hour').getBoundingClientRect();
return {scroll: doc.scrollWidth, inner: window.innerWidth, lines: lines, labels: labels,
        svgWidth: svg.width, hourHeight: hour.height, hint: document.querySelector('.hint').textContent};
"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, MOBILE])
def test_index_page(browser: Any, site: Path, shots: Path, width: int, dark: bool) -> None:
    show(browser, site / "index.html", width, dark)
    layout = browser.execute_script(LAYOUT_JS)
    # against the device width: a phone zooms out to fit a wider page, which widens innerWidth as well
    assert layout["scroll"] <= width and layout["inner"] == width, f"the page scrolls sideways: {layout}"
    assert layout["lines"] and all(n == 1 for n in layout["lines"]), "a next-run date wraps"
    if width == MOBILE:
        next_run, delivery, policy = layout["labels"]
        assert next_run and all(next_run) and all(delivery) and all(policy)
    assert layout["svgWidth"] <= layout["inner"] and layout["svgWidth"] >= min(layout["inner"] - 40, 600)
    assert layout["hourHeight"] >= (9 if width == MOBILE else 14), "hour labels too small to read"
    assert "tooltip" in layout["hint"]
    colours = browser.execute_script(LEGEND_JS)
    labels = [s["label"] for s in colours["steps"]]
    assert labels[0] == "0" and all(NUMBER.match(label) for label in labels), labels
    darkest = min(colours["steps"], key=lambda s: s["lum"])
    assert darkest["lum"] <= colours["darkestCell"] + 1e-9  # the legend holds the darkest cell colour
    assert all(s["contrast"] >= 4.5 for s in colours["steps"]), colours["steps"]
    assert colours["page"] >= 4.5
    assert (colours["background"] < 0.05) == dark
    screenshot(browser, shots, f"index-{width}-{'dark' if dark else 'light'}", width)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, MOBILE])
@pytest.mark.parametrize("slug", ["hello", "daily-report"])  # every 20 s in UTC; daily in Europe/Berlin
def test_schedule_page(browser: Any, site: Path, shots: Path, width: int, dark: bool, slug: str) -> None:
    show(browser, site / "schedules" / f"{slug}.html", width, dark)
    layout = browser.execute_script(LAYOUT_JS)
    # against the device width: a phone zooms out to fit a wider page, which widens innerWidth as well
    assert layout["scroll"] <= width and layout["inner"] == width, f"the page scrolls sideways: {layout}"
    assert layout["lines"] and all(n == 1 for n in layout["lines"]), "a next-run date wraps"
    colours = browser.execute_script(LEGEND_JS)
    if slug == "hello":
        assert [s["label"] for s in colours["steps"]] == HELLO_STEPS
    assert all(NUMBER.match(s["label"]) for s in colours["steps"])
    assert all(s["contrast"] >= 4.5 for s in colours["steps"]), colours["steps"]
    screenshot(browser, shots, f"schedule-{slug}-{width}-{'dark' if dark else 'light'}", width)
