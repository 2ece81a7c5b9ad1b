"""Rendering the documentation set (HTML or Markdown) with jinja2 and writing it under one directory.

Layout of the output directory:
    index.html | index.md          all schedules and the total heat map
    schedules/<slug>.html | .md    one page per schedule (slug: `naming.unique_slugs`)
    heatmaps/<slug>.svg, total.svg  Markdown only; HTML pages carry their SVG inline
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from symbi_lang.docs.heatmap import FireCounts
from symbi_lang.docs.model import Field, Run, ScheduleDoc, Site
from symbi_lang.docs.svg import HeatMapPicture, picture

__all__ = [
    "DocFormat",
    "OutsideOutputError",
    "WriteResult",
    "make_environment",
    "render_site",
    "site_pages",
    "write_site",
]


class DocFormat(StrEnum):
    """Output format of `symbi docs`."""

    HTML = "html"
    MD = "md"


class OutsideOutputError(ValueError):
    """A page path would leave the output directory (never produced by `render_site`)."""


# --- Markdown filters -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")


def md(text: object) -> str:
    """Inline Markdown text: punctuation that could start markup escaped, `&` as an entity, one line."""
    s = str(text).replace("&", "&amp;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.splitlines())


def md_code(text: object) -> str:
    """An inline code span that survives backticks inside and GitHub table cells (`|` escaped)."""
    s = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{fence}{pad}{s.replace('|', chr(92) + '|')}{pad}{fence}"


def md_cell_lines(text: object) -> str:
    """Multi-line text inside a table cell: lines joined with `<br>`, indentation kept."""
    lines = str(text).splitlines()
    out = []
    for line in lines:
        stripped = line.lstrip(" ")
        out.append("&nbsp;" * (len(line) - len(stripped)) + md(stripped))
    return "<br>".join(out)


# --- environment ------------------------------------------------------------------------------------


def make_environment(fmt: DocFormat, loader: BaseLoader | None = None) -> Environment:
    """A StrictUndefined environment: autoescaping for HTML (and SVG), Markdown filters for `md`, and
    the shared-fragment filters (`_Fragments`). Templates are read once (no reload checks: a run
    renders 10,000 pages from the same few files)."""
    env = Environment(
        loader=loader or PackageLoader("symbi_lang.docs", "templates"),
        undefined=StrictUndefined,
        autoescape=fmt is DocFormat.HTML,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["md"] = md
    env.filters["md_code"] = md_code
    env.filters["md_cell_lines"] = md_cell_lines
    fragments = _Fragments(env, fmt)
    env.filters["fields_table"] = fragments.fields_table
    env.filters["next_runs_table"] = fragments.next_runs_table
    env.filters["badges"] = fragments.badges
    return env


class _Fragments:
    """Parts of a page that many schedules show alike — the field table of a shared policy or agent,
    the next runs of a common expression in one zone, a set of badges — rendered by their own template
    once per distinct value and reused (as `_HeatMaps` does for the SVGs). Escaping every value of
    every table again on each of 10,000 pages was most of the cost of rendering them."""

    _KEEP = 1024

    def __init__(self, env: Environment, fmt: DocFormat) -> None:
        self._env = env
        self._ext = fmt.value
        self._rendered: dict[tuple[str, object], str] = {}

    def _render(self, name: str, key: object, **context: object) -> str:
        found = None if key is None else self._rendered.get((name, key))
        if found is None:
            found = self._env.get_template(f"{name}.{self._ext}.j2").render(**context)
            if self._env.autoescape is True:
                found = Markup(found)  # already escaped by its own template
            if key is not None:
                if len(self._rendered) >= self._KEEP:
                    self._rendered.clear()  # memory stays bounded however many distinct tables there are
                self._rendered[(name, key)] = found
        return found

    def fields_table(self, fields: tuple[Field, ...], shared: bool = True) -> str:
        """The table of `fields`; `shared=False` for a schedule's own fields (no two pages alike)."""
        return self._render("fields", fields if shared else None, fields=fields)

    def next_runs_table(self, runs: tuple[Run, ...], timezone: str) -> str:
        return self._render("next_runs", (timezone, runs), runs=runs, timezone=timezone)

    def badges(self, badges: tuple[str, ...]) -> str:
        return self._render("badges", badges, badges=badges)


def _picture(title: str, schedule_or_site: ScheduleDoc | Site) -> HeatMapPicture:
    if isinstance(schedule_or_site, ScheduleDoc):
        return picture(schedule_or_site.counts, title)
    return picture(schedule_or_site.total, title, schedules_per_hour=schedule_or_site.schedules_per_hour)


class _HeatMaps:
    """Heat-map SVGs for one site. Schedules with equal counts (a fleet repeats a few expressions)
    differ only in their title and element id: the SVG is rendered once per counts with placeholders,
    which are then replaced by the title and id escaped exactly as the autoescaping template would."""

    _TITLE, _ID = "\x00title\x00", "\x00id\x00"  # no schedule name or slug holds a NUL character
    _KEEP = 1024

    def __init__(self, env: Environment) -> None:
        if env.autoescape is not True:
            raise ValueError("heat maps are SVG (XML): render them with an autoescaping environment")
        self._template = env.get_template("heatmap.svg.j2")
        # The SVG cut at its placeholders: [text, placeholder, text, placeholder, …, text].
        self._rendered: dict[tuple[FireCounts, FireCounts | None], list[str]] = {}

    def svg(self, counts_title: str, schedule_or_site: ScheduleDoc | Site, ident: str) -> str:
        key = (
            (schedule_or_site.counts, None)
            if isinstance(schedule_or_site, ScheduleDoc)
            else (schedule_or_site.total, schedule_or_site.schedules_per_hour)
        )
        parts = self._rendered.get(key)
        if parts is None:
            if len(self._rendered) >= self._KEEP:
                self._rendered.clear()  # memory stays bounded however many distinct maps there are
            body = self._template.render(pic=_picture(self._TITLE, schedule_or_site), id=self._ID)
            parts = self._rendered[key] = re.split(f"({self._TITLE}|{self._ID})", body)
        # One copy of the ~35 kB text per page instead of a search-and-copy per placeholder.
        values = {self._TITLE: str(escape(counts_title)), self._ID: str(escape(ident))}
        return "".join([values[part] if i % 2 else part for i, part in enumerate(parts)])


def _alt(title: str, schedule_or_site: ScheduleDoc | Site) -> str:
    pic = _picture(title, schedule_or_site)
    return f"{title}: {pic.caption}. {pic.scale_note}"


class StreamedPage:
    """A page rendered in pieces, which `write_site` writes as they come; calling it returns the whole
    text like any other page. The index of 10,000 schedules is ~6 MB of HTML in many small pieces:
    joined at once, they raised the peak memory of `symbi docs` by ~25 MB."""

    __slots__ = ("chunks",)

    def __init__(self, chunks: Callable[[], Iterable[str]]) -> None:
        self.chunks = chunks

    def __call__(self) -> str:
        return "".join(self.chunks())


def site_pages(
    site: Site,
    fmt: DocFormat,
    env: Environment | None = None,
    *,
    with_ics: bool = False,
    with_simulate: bool = False,
) -> dict[str, Callable[[], str]]:
    """Every output file of `site`: relative POSIX path → a function rendering its text; `with_ics` links
    each schedule page to its calendar (`calendar/<slug>.ics`, written by `symbi docs --with-ics`),
    `with_simulate` to its simulated week (`simulate/<slug>.svg` and `.json`, `--with-simulate`).

    Pages are rendered only when asked for, so a writer can hold one page at a time (10,000 schedules
    make ~400 MB of HTML)."""
    env = env or make_environment(fmt)
    total_title = "All schedules"
    pages: dict[str, Callable[[], str]] = {}
    if fmt is DocFormat.HTML:
        index = env.get_template("index.html.j2")
        schedule_page = env.get_template("schedule.html.j2")
        maps = _HeatMaps(env)
        pages["index.html"] = StreamedPage(
            lambda: index.generate(site=site, total_svg=Markup(maps.svg(total_title, site, "total")))
        )
        for s in site.schedules:
            pages[f"schedules/{s.slug}.html"] = functools.partial(
                _html_schedule, maps, schedule_page, site, s, _links(s, with_ics, with_simulate)
            )
        return pages
    # The SVG files are XML: render them with an autoescaping environment whatever the page format.
    svg_env = make_environment(DocFormat.HTML, env.loader)
    maps = _HeatMaps(svg_env)
    index_md = env.get_template("index.md.j2")
    schedule_md = env.get_template("schedule.md.j2")
    pages["index.md"] = StreamedPage(lambda: index_md.generate(site=site, total_alt=_alt(total_title, site)))
    pages["heatmaps/total.svg"] = functools.partial(maps.svg, total_title, site, "total")
    for s in site.schedules:
        pages[f"schedules/{s.slug}.md"] = functools.partial(
            _md_schedule, schedule_md, site, s, _links(s, with_ics, with_simulate)
        )
        pages[f"heatmaps/{s.slug}.svg"] = functools.partial(maps.svg, s.name, s, f"heatmap-{s.slug}")
    return pages


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Files beside the site a schedule page links to (None: not written this run)."""

    ics: str | None = None
    simulate_svg: str | None = None
    simulate_json: str | None = None


def _links(s: ScheduleDoc, with_ics: bool, with_simulate: bool) -> PageLinks:
    return PageLinks(
        ics=f"../calendar/{s.slug}.ics" if with_ics else None,
        simulate_svg=f"../simulate/{s.slug}.svg" if with_simulate else None,
        simulate_json=f"../simulate/{s.slug}.json" if with_simulate else None,
    )


def _html_schedule(maps: _HeatMaps, template: Template, site: Site, s: ScheduleDoc, links: PageLinks) -> str:
    svg = Markup(maps.svg(s.name, s, f"heatmap-{s.slug}"))
    return template.render(site=site, schedule=s, svg=svg, ics=links.ics, links=links)


def _md_schedule(template: Template, site: Site, s: ScheduleDoc, links: PageLinks) -> str:
    return template.render(site=site, schedule=s, svg_alt=_alt(s.name, s), ics=links.ics, links=links)


def render_site(
    site: Site,
    fmt: DocFormat,
    env: Environment | None = None,
    *,
    with_ics: bool = False,
    with_simulate: bool = False,
) -> dict[str, str]:
    """Every output file of `site`: relative POSIX path → text (all in memory; `site_pages` is lazy)."""
    pages = site_pages(site, fmt, env, with_ics=with_ics, with_simulate=with_simulate)
    return {path: render() for path, render in pages.items()}


class _Targets:
    """Where each relative path is written, refused when it would leave the output directory. A run
    writes 10,000 files into a handful of folders: each folder is resolved once, and a file itself only
    when it is a symlink (the one way a path in a checked folder can still lead outside)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()
        self._folders: dict[Path, bool] = {}

    def __call__(self, relative: str) -> Path:
        rel = PurePosixPath(relative)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise OutsideOutputError(f"refusing to write {relative!r} outside the output directory")
        target = self.root.joinpath(*rel.parts)
        inside = self._folders.get(target.parent)
        if inside is None:
            inside = self._folders[target.parent] = self._inside(target.parent)
        if not inside or (target.is_symlink() and not self._inside(target)):
            raise OutsideOutputError(
                f"refusing to write {relative!r}: it resolves outside the output directory"
            )
        return target

    def _inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self._resolved_root)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a run changed in the output folder."""

    written: list[Path]
    removed: list[Path]


def write_site(files: Mapping[str, str | Callable[[], str]], out_dir: Path) -> WriteResult:
    """Write `files` under `out_dir` (created if needed); every path is checked to stay inside it before
    anything is written. A value may be a function rendering the text (`site_pages`): it is called
    just before its file is written, so only one page is in memory at a time. Pages a previous run
    generated that are no longer part of the site (a removed schedule) are deleted; files `symbi docs`
    did not write are never touched (see `manifest`)."""
    from symbi_lang.docs import manifest

    target_of = _Targets(out_dir)
    targets = [(target_of(rel), text) for rel, text in files.items()]
    before = manifest.generated_before(out_dir)
    written: list[Path] = []
    made: set[Path] = set()
    for target, text in targets:
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if isinstance(text, StreamedPage):
            with target.open("w", encoding="utf-8", newline="\n") as out:
                for chunk in text.chunks():
                    out.write(chunk)
        else:
            target.write_text(text if isinstance(text, str) else text(), encoding="utf-8", newline="\n")
        written.append(target)
    out_dir.mkdir(parents=True, exist_ok=True)
    removed = manifest.remove_stale(out_dir, before, files)
    manifest.record(out_dir, files)
    return WriteResult(written, removed)
