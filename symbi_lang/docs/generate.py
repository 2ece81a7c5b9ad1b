"""Rendering the documentation set (HTML or Markdown) with jinja2 and writing it under one directory.

Layout of the output directory:
    index.html | index.md          all schedules and the total heat map
    schedules/<slug>.html | .md    one page per schedule (slug: `naming.unique_slugs`)
    heatmaps/<slug>.svg, total.svg  Markdown only; HTML pages carry their SVG inline
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from symbi_lang.docs.model import ScheduleDoc, Site
from symbi_lang.docs.svg import picture

__all__ = ["DocFormat", "OutsideOutputError", "WriteResult", "make_environment", "render_site", "write_site"]


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
    """A StrictUndefined environment: autoescaping for HTML (and SVG), Markdown filters for `md`."""
    env = Environment(
        loader=loader or PackageLoader("symbi_lang.docs", "templates"),
        undefined=StrictUndefined,
        autoescape=fmt is DocFormat.HTML,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md
    env.filters["md_code"] = md_code
    env.filters["md_cell_lines"] = md_cell_lines
    return env


def _svg(env: Environment, counts_title: str, schedule_or_site: ScheduleDoc | Site, ident: str) -> str:
    counts = schedule_or_site.counts if isinstance(schedule_or_site, ScheduleDoc) else schedule_or_site.total
    return env.get_template("heatmap.svg.j2").render(pic=picture(counts, counts_title), id=ident)


def _alt(title: str, schedule_or_site: ScheduleDoc | Site) -> str:
    counts = schedule_or_site.counts if isinstance(schedule_or_site, ScheduleDoc) else schedule_or_site.total
    return f"{title}: {picture(counts, title).caption}"


def render_site(site: Site, fmt: DocFormat, env: Environment | None = None) -> dict[str, str]:
    """Every output file of `site`: relative POSIX path → text."""
    files: dict[str, str] = {}
    if fmt is DocFormat.HTML:
        env = env or make_environment(fmt)
        total_title = "All schedules"
        files["index.html"] = env.get_template("index.html.j2").render(
            site=site, total_svg=Markup(_svg(env, total_title, site, "total"))
        )
        for s in site.schedules:
            svg = Markup(_svg(env, s.name, s, f"heatmap-{s.slug}"))
            files[f"schedules/{s.slug}.html"] = env.get_template("schedule.html.j2").render(
                site=site, schedule=s, svg=svg
            )
        return files
    env = env or make_environment(fmt)
    # The SVG files are XML: render them with an autoescaping environment whatever the page format.
    svg_env = make_environment(DocFormat.HTML, env.loader)
    total_title = "All schedules"
    files["index.md"] = env.get_template("index.md.j2").render(site=site, total_alt=_alt(total_title, site))
    files["heatmaps/total.svg"] = _svg(svg_env, total_title, site, "total")
    for s in site.schedules:
        files[f"schedules/{s.slug}.md"] = env.get_template("schedule.md.j2").render(
            site=site, schedule=s, svg_alt=_alt(s.name, s)
        )
        files[f"heatmaps/{s.slug}.svg"] = _svg(svg_env, s.name, s, f"heatmap-{s.slug}")
    return files


def _target(root: Path, relative: str) -> Path:
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise OutsideOutputError(f"refusing to write {relative!r} outside the output directory")
    target = root.joinpath(*rel.parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise OutsideOutputError(f"refusing to write {relative!r}: it resolves outside the output directory")
    return target


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a run changed in the output folder."""

    written: list[Path]
    removed: list[Path]


def write_site(files: Mapping[str, str], out_dir: Path) -> WriteResult:
    """Write `files` under `out_dir` (created if needed); every path is checked to stay inside it.
    Pages a previous run generated that are no longer part of the site (a removed schedule) are
    deleted; files `symbi docs` did not write are never touched (see `manifest`)."""
    from symbi_lang.docs import manifest

    targets = [(_target(out_dir, rel), text) for rel, text in files.items()]
    before = manifest.generated_before(out_dir)
    written: list[Path] = []
    for target, text in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    out_dir.mkdir(parents=True, exist_ok=True)
    removed = manifest.remove_stale(out_dir, before, files)
    manifest.record(out_dir, files)
    return WriteResult(written, removed)
