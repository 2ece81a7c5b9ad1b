"""Parsed documents and the workspace analysis every feature reads.

A `ParsedDocument` is made once per (uri, version) for open documents and once per (path, mtime, size)
for `.symbi` files on disk; `Workspace.analysis()` checks all of them together (so that cross-file
checks such as duplicate schedule names see the whole workspace) and caches the result until one of
them changes. Features never parse: they read these objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from symbi_lang.api import CheckContext, check, parse
from symbi_lang.ast import Block, Module, value_text
from symbi_lang.diagnostics import Diagnostic, sort_diagnostics
from symbi_lang.span import Span
from symbi_lsp.positions import UTF16, LineIndex
from symbi_lsp.uris import path_to_uri, uri_to_path
from symbi_lsp.workspace_config import WorkspaceConfig

#: Directories never searched for workspace `.symbi` files.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
)
#: An upper bound on the files read from workspace folders, so a huge tree cannot stall the server.
MAX_WORKSPACE_FILES = 2000


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """One source text, parsed once: module, syntax diagnostics and its line index."""

    uri: str
    path: str
    version: int | None
    text: str
    module: Module
    syntax: tuple[Diagnostic, ...]
    lines: LineIndex

    @classmethod
    def build(cls, uri: str, text: str, version: int | None, encoding: str = UTF16) -> ParsedDocument:
        path = uri_to_path(uri)
        result = parse(text, path=path)
        return cls(
            uri, path, version, text, result.module, tuple(result.diagnostics), LineIndex(text, encoding)
        )


@dataclass(frozen=True, slots=True)
class WorkspaceAnalysis:
    """The checked workspace: every document and its diagnostics (syntax and semantic), by path."""

    documents: Mapping[str, ParsedDocument]
    diagnostics: Mapping[str, tuple[Diagnostic, ...]]

    def diagnostics_for(self, path: str) -> tuple[Diagnostic, ...]:
        return self.diagnostics.get(path, ())

    def agents(self) -> Iterable[tuple[ParsedDocument, Block]]:
        """Every `agent` block in the workspace, with the document it is in."""
        for doc in self.documents.values():
            for block in doc.module.agents:
                yield doc, block

    def agent_names(self) -> list[str]:
        return sorted({n for _, b in self.agents() if (n := block_name(b))})

    def find_agent(self, name: str) -> tuple[ParsedDocument, Block] | None:
        for doc, block in self.agents():
            if block_name(block) == name:
                return doc, block
        return None

    def agent_uses(self, name: str) -> Iterable[tuple[ParsedDocument, Span]]:
        """Every `agent: "name"` of a schedule in the workspace: the document and the value's span."""
        for doc in self.documents.values():
            for schedule in doc.module.schedules:
                field = schedule.field("agent")
                if field is not None and value_text(field.value) == name:
                    yield doc, field.value.span


def block_name(block: Block) -> str | None:
    """The name a top-level block is known by: its label, else its `name:` string."""
    if block.label:
        return block.label
    field = block.field("name")
    return value_text(field.value) if field is not None else None


def name_span(block: Block) -> Span:
    """Where a top-level block's name is written (label or `name:` value), else its kind word."""
    if block.label_span is not None:
        return block.label_span
    field = block.field("name")
    return field.value.span if field is not None else block.kind_span


class Workspace:
    """Open documents plus the `.symbi` files of the workspace folders, and the cached analysis."""

    def __init__(
        self, env: Mapping[str, str] | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self._env: Mapping[str, str] = env if env is not None else os.environ
        self._now = now  # the clock time-dependent checks read (None: the real time); tests pin it
        self._open: dict[str, ParsedDocument] = {}
        self._last_clean: dict[str, ParsedDocument] = {}
        self._disk: dict[str, tuple[tuple[int, int], ParsedDocument]] = {}
        self._folders: list[Path] = []
        self._disk_paths: list[Path] | None = None
        self._analysis: WorkspaceAnalysis | None = None
        self._analysis_key: tuple[object, ...] | None = None
        self._config = WorkspaceConfig()
        self.encoding = UTF16

    @property
    def env(self) -> Mapping[str, str]:
        """The environment checks and `${` completion see (the server's own by default)."""
        return self._env

    # --- membership ---------------------------------------------------------------------------------

    def set_folders(self, folders: Iterable[str]) -> None:
        """Workspace folder URIs or paths whose `.symbi` files take part in cross-file checks."""
        self._folders = [Path(uri_to_path(f)) for f in folders]
        self._disk_paths = None

    def files_changed(self) -> None:
        """Something on disk changed (a watched-files notification): list and stat again."""
        self._disk_paths = None

    def open(self, uri: str, text: str, version: int | None) -> ParsedDocument:
        """The parsed document for (uri, version); parsed only when that pair is new."""
        current = self._open.get(uri)
        if (
            current is not None
            and current.version == version
            and version is not None
            and current.text == text
        ):
            return current
        doc = ParsedDocument.build(uri, text, version, self.encoding)
        self._open[uri] = doc
        if not any(d.is_error for d in doc.syntax):
            self._last_clean[uri] = doc
        return doc

    def close(self, uri: str) -> None:
        self._open.pop(uri, None)
        self._last_clean.pop(uri, None)

    def get(self, uri: str) -> ParsedDocument | None:
        return self._open.get(uri)

    def last_clean(self, uri: str) -> ParsedDocument | None:
        """The latest version of `uri` without syntax errors: its structure helps completion while the
        user is half-way through typing (when the current text no longer parses cleanly)."""
        return self._last_clean.get(uri)

    @property
    def open_uris(self) -> list[str]:
        return list(self._open)

    # --- analysis -----------------------------------------------------------------------------------

    def analysis(self) -> WorkspaceAnalysis:
        """All documents checked together; recomputed only when a document or a disk file changed."""
        # Files on disk come first and open documents last, so that a cross-file duplicate is reported
        # in the document being edited ("first defined" in the other file), not in a file nobody sees.
        open_paths = {doc.path for doc in self._open.values()}
        documents: dict[str, ParsedDocument] = {}
        for path in self._workspace_files():
            key = str(path)
            if key in open_paths:
                continue
            disk_doc = self._disk_document(path)
            if disk_doc is not None:
                documents[key] = disk_doc
        for doc in self._open.values():
            documents[doc.path] = doc
        # Documents are immutable and the previous analysis keeps its own alive, so identities are a
        # safe key: a new version is a new object.
        # symbi.toml takes part too: a changed `[check] herd_threshold` re-checks everything.
        config_stamp, settings = self._config.settings(self._folders)
        cache_key = (config_stamp, *((p, id(d)) for p, d in documents.items()))
        if self._analysis is not None and cache_key == self._analysis_key:
            return self._analysis
        modules = [d.module for d in documents.values()]
        ctx = CheckContext(
            env=dict(self._env),
            now=self._now() if self._now is not None else None,
            herd_threshold=settings.herd_threshold,
            default_jitter_seconds=settings.default_jitter_seconds,
            slack_default_channel=settings.slack_default_channel
            or bool(self._env.get("SYMBI_SLACK_DEFAULT_CHANNEL")),
        )
        found: dict[str, list[Diagnostic]] = {p: list(d.syntax) for p, d in documents.items()}
        for diagnostic in check(modules, ctx):
            found.setdefault(diagnostic.span.path, []).append(diagnostic)
        analysis = WorkspaceAnalysis(
            documents=documents,
            diagnostics={p: tuple(sort_diagnostics(ds)) for p, ds in found.items()},
        )
        self._analysis, self._analysis_key = analysis, cache_key
        return analysis

    def _workspace_files(self) -> list[Path]:
        if self._disk_paths is None:
            self._disk_paths = _find_symbi_files(self._folders)
            keep = {str(p) for p in self._disk_paths}
            self._disk = {k: v for k, v in self._disk.items() if k in keep}
        return self._disk_paths

    def _disk_document(self, path: Path) -> ParsedDocument | None:
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._disk.get(str(path))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        text = text.removeprefix("\ufeff")
        doc = ParsedDocument.build(path_to_uri(str(path)), text, None, self.encoding)
        self._disk[str(path)] = (stamp, doc)
        return doc


def _find_symbi_files(folders: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(".symbi"):
                    found.append(Path(os.path.normpath(Path(root) / name)))
                    if len(found) >= MAX_WORKSPACE_FILES:
                        return sorted(found)
    return sorted(found)
