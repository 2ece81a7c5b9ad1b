"""Rendering: HTML that parses and links only to files it wrote, Markdown escaping, StrictUndefined,
secrets kept out of the pages, and output confined to the output directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from jinja2 import DictLoader, UndefinedError

from symbi_lang.docs.generate import (
    DocFormat,
    OutsideOutputError,
    make_environment,
    md,
    md_code,
    render_site,
    write_site,
)
from symbi_lang.docs.model import HIDDEN, build_site
from symbi_lang.ir import JobSet

VOID = {"meta", "br", "img", "link", "input", "hr", "wbr", "source", "col", "area", "base", "embed"}
SVG_VOID = {"rect"}  # written self-closing inside inline SVG


class PageParser(HTMLParser):
    """Collects links and checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value is not None:
                self.links.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def test_html_parses_and_every_link_resolves(fleet: JobSet, now: datetime, tmp_path: Path) -> None:
    files = render_site(build_site(fleet, now), DocFormat.HTML)
    write_site(files, tmp_path)
    assert set(files) == {
        "index.html",
        "schedules/morning-report-b-bold-b-piped.html",
        "schedules/watch_loop.html",
        "schedules/watch_loop-2.html",
        "schedules/release_check.html",
    }
    linked: set[str] = set()
    for rel, text in files.items():
        page = parse_page(text)
        assert page.errors == [], rel
        assert page.stack == [], rel
        assert page.links, rel
        for link in page.links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{rel}: non-local link {link}"
            target = (tmp_path / PurePosixPath(rel).parent / parts.path).resolve()
            assert target.is_file(), f"{rel}: {link} does not resolve"
            assert target.is_relative_to(tmp_path.resolve())
            linked.add(target.relative_to(tmp_path.resolve()).as_posix())
    assert linked == set(files)  # the index reaches every page and every page links back


def test_html_is_self_contained(fleet: JobSet, now: datetime) -> None:
    files = render_site(build_site(fleet, now), DocFormat.HTML)
    for rel, text in files.items():
        lowered = text.lower()
        assert "<script" not in lowered, rel
        assert "<link" not in lowered, rel
        assert "@import" not in lowered, rel
        assert "url(" not in lowered, rel
        if rel != "index.html":
            assert lowered.count("<svg") == 1, rel
    assert files["index.html"].count("<svg") == 1


def test_html_escapes_names_and_text(fleet: JobSet, now: datetime) -> None:
    files = render_site(build_site(fleet, now), DocFormat.HTML)
    page = files["schedules/morning-report-b-bold-b-piped.html"]
    assert "<b>bold<b>" not in page
    assert "Morning report &lt;b&gt;bold&lt;b&gt; | piped" in page
    assert "Mornings *only* &amp; weekdays" in page
    text = "".join(parse_page(page).text)
    assert "Morning report <b>bold<b> | piped" in text


def test_pages_describe_schedule_policy_and_delivery(fleet: JobSet, now: datetime) -> None:
    site = build_site(fleet, now)
    text = "".join(
        parse_page(render_site(site, DocFormat.HTML)["schedules/morning-report-b-bold-b-piped.html"]).text
    )
    for expected in [
        "at 08:30:00, Monday through Friday",
        "Thu 2026-11-26 08:30:00 CET",  # first of the next runs, in the schedule's zone
        "Thu 2026-11-26 07:30:00 UTC",
        "in 19h 30m",
        "Wed 2026-12-09 08:30:00 CET",  # the tenth
        "Each run waits for approval from ops-oncall.",
        "A run is stopped after 1 hour 30 minutes.",
        "Runs only between 07:00 and 10:00, Europe/Berlin time.",
        "Emailed to ops@example.com and lead@example.com.",
        "Posted to the Slack channel #reports.",
        "POSTed as JSON to https://hooks.example.com/…, with the header Authorization.",
        "tests/lang/docs/fixtures/fleet.symbi:18",
    ]:
        assert expected in text, expected
    morning = site.schedules[0]
    assert len(morning.next_runs) == 10
    assert morning.badges == ("approval",)
    by_name = {s.name: s for s in site.schedules}
    assert by_name["watch_loop"].badges == ("heartbeat",)
    assert by_name["release_check"].badges == ("one-shot",)
    assert [r.local for r in by_name["release_check"].next_runs] == ["Fri 2026-11-27 16:45:00 EST"]
    agents = {a.name: a for a in site.agents}
    assert agents["reporter"].used_by == (
        ("Morning report <b>bold<b> | piped", "morning-report-b-bold-b-piped"),
        ("release_check", "release_check"),
    )
    assert agents["reporter"].binding == 'command ["sh", "-c", "cat"]'
    assert agents["watcher"].binding == "handler fleet.agents:watch"


def test_possible_secrets_are_not_published(fleet: JobSet, now: datetime) -> None:
    leaky = fleet.jobs[0].with_changes(
        webhook_headers=(("Authorization", "Bearer sk-live-123"), ("X-Ref", "${REF}")),
        agent_pin_jwt="eyJhbGciOiJFUzI1NiJ9.payload.sig",
    )
    site = build_site(JobSet(jobs=(leaky,), agents=fleet.agents), now)
    for fmt in DocFormat:
        for rel, text in render_site(site, fmt).items():
            assert "sk-live-123" not in text, rel
            assert "eyJhbGciOiJFUzI1NiJ9" not in text, rel
            assert "T000/B000/secret" not in text, rel
    fields = {f.label: f.value for f in site.schedules[0].fields}
    assert fields["webhook_headers"] == f"Authorization: {HIDDEN}, X-Ref: ${{REF}}"
    assert fields["agent_pin_jwt"] == HIDDEN
    assert fields["webhook_url"] == "https://hooks.example.com/…"


def test_markdown_escaping() -> None:
    assert md("a | b <i>x</i> *y* _z_ & [l](u) #1") == (r"a \| b \<i\>x\</i\> \*y\* \_z\_ &amp; \[l\](u) \#1")
    assert md("two\nlines") == "two lines"
    assert md_code("plain") == "`plain`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b") == r"`a\|b`"


def test_markdown_pages_and_svg_files(fleet: JobSet, now: datetime) -> None:
    files = render_site(build_site(fleet, now), DocFormat.MD)
    assert set(files) == {
        "index.md",
        "heatmaps/total.svg",
        *(
            f"schedules/{s}.md"
            for s in ("morning-report-b-bold-b-piped", "watch_loop", "watch_loop-2", "release_check")
        ),
        *(
            f"heatmaps/{s}.svg"
            for s in ("morning-report-b-bold-b-piped", "watch_loop", "watch_loop-2", "release_check")
        ),
    }
    index = files["index.md"]
    assert (
        "[Morning report \\<b\\>bold\\<b\\> \\| piped](schedules/morning-report-b-bold-b-piped.md)" in index
    )
    assert "![All schedules: " in index and "](heatmaps/total.svg)" in index
    page = files["schedules/watch_loop.md"]
    assert "[← Schedules](../index.md)" in page
    assert "](../heatmaps/watch_loop.svg)" in page
    # Every table row has as many cells as its header.
    for rel, text in files.items():
        if not rel.endswith(".md"):
            continue
        width = None
        for line in text.splitlines():
            if line.startswith("|"):
                cells = line.replace("\\|", "").count("|") - 1
                if width is None:
                    width = cells
                assert cells == width, f"{rel}: {line}"
            else:
                width = None


def test_strict_undefined_catches_template_typos() -> None:
    env = make_environment(
        DocFormat.HTML, DictLoader({"t.html.j2": "<p>{{ site.titel }}</p>", "u": "{{ nope }}"})
    )
    with pytest.raises(UndefinedError, match="titel"):
        env.get_template("t.html.j2").render(site={"title": "x"})
    with pytest.raises(UndefinedError, match="nope"):
        env.get_template("u").render()
    md_env = make_environment(DocFormat.MD, DictLoader({"t.md.j2": "{{ schedule.nmae | md }}"}))
    with pytest.raises(UndefinedError, match="nmae"):
        md_env.get_template("t.md.j2").render(schedule={"name": "x"})


def test_shipped_templates_render_only_defined_names(fleet: JobSet, now: datetime) -> None:
    # Rendering the real templates under StrictUndefined for a schedule of each kind is the check:
    # any misspelt variable in them raises.
    site = build_site(fleet, now)
    for fmt in DocFormat:
        assert render_site(site, fmt, make_environment(fmt))


@pytest.mark.parametrize("rel", ["../escape.html", "/abs.html", "a/../../x.html", ""])
def test_write_site_refuses_paths_outside_the_directory(tmp_path: Path, rel: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutsideOutputError):
        write_site({"index.html": "ok", rel: "bad"}, out)
    assert not (tmp_path / "escape.html").exists()
    assert not out.exists()  # nothing is written when any path is refused


def test_write_site_refuses_a_symlink_out_of_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    out.mkdir()
    outside.mkdir()
    os.symlink(outside, out / "schedules")
    with pytest.raises(OutsideOutputError):
        write_site({"schedules/x.html": "bad"}, out)
    assert list(outside.iterdir()) == []


def test_write_site_refuses_a_file_symlinked_out_of_the_directory(tmp_path: Path) -> None:
    """Folders are checked once per run; a page that is itself a symlink leading outside is still refused,
    and one leading to another place inside the output is written through."""
    out = tmp_path / "out"
    (out / "schedules").mkdir(parents=True)
    victim = tmp_path / "victim.html"
    victim.write_text("keep", encoding="utf-8")
    os.symlink(victim, out / "schedules" / "b.html")
    os.symlink(out / "schedules" / "real.html", out / "schedules" / "inside.html")
    with pytest.raises(OutsideOutputError, match=r"schedules/b\.html"):
        write_site({"schedules/a.html": "a", "schedules/b.html": "bad"}, out)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not (out / "schedules" / "a.html").exists()  # nothing is written when any path is refused
    write_site({"schedules/a.html": "a", "schedules/inside.html": "in"}, out)
    assert (out / "schedules" / "real.html").read_text(encoding="utf-8") == "in"


def test_empty_jobset(now: datetime) -> None:
    site = build_site(JobSet(), now)
    files = render_site(site, DocFormat.HTML)
    assert set(files) == {"index.html"}
    assert "No schedules." in files["index.html"]
    assert site.total.total == 0


def test_schedules_sharing_an_expression_in_other_zones_keep_their_own_counts() -> None:
    """Counts are computed once per (expression, zone, bucketing zone): a New York job and a UTC job
    with the same expression must not share their UTC counts."""
    from datetime import UTC, timedelta

    from symbi_lang.cron import CronSpec
    from symbi_lang.docs.heatmap import count_cron_fires, total
    from symbi_lang.ir import JobDefinition

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    zones = ["UTC", "America/New_York", "UTC", "Asia/Kolkata", "America/New_York"]
    jobs = tuple(
        JobDefinition(name=f"j{i}", agent_id="a", cron_expr="0 30 2 * * *", timezone=zone)
        for i, zone in enumerate(zones)
    )
    site = build_site(JobSet(jobs=jobs), now)
    end = now + timedelta(days=7)
    for doc, zone in zip(site.schedules, zones, strict=True):
        assert doc.counts == count_cron_fires(CronSpec.parse("0 30 2 * * *", zone), zone, now, end)
    expected_total = total(
        (count_cron_fires(CronSpec.parse("0 30 2 * * *", z), "UTC", now, end) for z in zones), "UTC", now, end
    )
    assert site.total == expected_total
    assert sum(expected_total.cells[0]) == 5  # five fires on Monday-in-UTC buckets, from three zones
    hours = {h for row in expected_total.cells for h, n in enumerate(row) if n}
    # 02:30 UTC; 02:30 New York is 07:30 UTC, then 06:30 after DST starts (8 March); 02:30 Kolkata 21:00.
    assert hours == {2, 6, 7, 21}


def test_equal_heat_maps_render_identically_apart_from_title_and_id() -> None:
    from datetime import UTC

    from symbi_lang.ir import JobDefinition

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    jobs = tuple(
        JobDefinition(name=name, agent_id="a", cron_expr="0 */15 * * * *") for name in ("a<b>&c", "plain")
    )
    files = render_site(build_site(JobSet(jobs=jobs), now), DocFormat.MD)
    first, second = files["heatmaps/a-b-c.svg"], files["heatmaps/plain.svg"]
    assert "\x00" not in first and "\x00" not in second
    assert '<title id="heatmap-a-b-c-title">a&lt;b&gt;&amp;c</title>' in first
    assert first.replace("a&lt;b&gt;&amp;c", "plain").replace("heatmap-a-b-c", "heatmap-plain") == second


def test_pages_are_rendered_one_at_a_time_as_they_are_written(tmp_path: Path, now: datetime) -> None:
    from symbi_lang.docs.generate import site_pages
    from symbi_lang.ir import JobDefinition

    jobs = tuple(JobDefinition(name=f"j{i}", agent_id="a", cron_expr="0 0 9 * * *") for i in range(3))
    site = build_site(JobSet(jobs=jobs), now)
    pages = site_pages(site, DocFormat.HTML)
    rendered: list[str] = []

    def spy(path: str) -> Callable[[], str]:
        def render() -> str:
            # Every earlier page is already on disk when the next one is rendered.
            assert all((tmp_path / "out" / p).is_file() for p in rendered)
            rendered.append(path)
            return pages[path]()

        return render

    written = write_site({path: spy(path) for path in pages}, tmp_path / "out")
    assert rendered == list(pages) and len(written.written) == 4
    assert {p: (tmp_path / "out" / p).read_text() for p in pages} == render_site(site, DocFormat.HTML)


def test_a_refused_path_renders_and_writes_nothing(tmp_path: Path) -> None:
    calls: list[str] = []
    with pytest.raises(OutsideOutputError):
        write_site(
            {"index.html": lambda: calls.append("index") or "ok", "../x.html": "bad"}, tmp_path / "out"
        )
    assert calls == [] and not (tmp_path / "out").exists()
