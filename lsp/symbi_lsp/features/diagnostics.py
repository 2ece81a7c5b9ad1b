"""symbi diagnostics → LSP diagnostics (ranges, codes, severities, help and related locations)."""

from __future__ import annotations

from lsprotocol import types

from symbi_lang.diagnostics import Diagnostic, Severity
from symbi_lang.span import Span
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis
from symbi_lsp.positions import span_range_without_text
from symbi_lsp.uris import path_to_uri

SOURCE = "symbi"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def lsp_diagnostics(
    doc: ParsedDocument, analysis: WorkspaceAnalysis, *, related_information: bool = True
) -> list[types.Diagnostic]:
    """The diagnostics of `doc` in LSP form.

    With `related_information` (the client supports it) the help text and related locations travel as
    related information; otherwise they are appended to the message so nothing is lost.
    """
    return [
        to_lsp(d, doc, analysis, related_information=related_information)
        for d in analysis.diagnostics_for(doc.path)
    ]


def to_lsp(
    diagnostic: Diagnostic,
    doc: ParsedDocument,
    analysis: WorkspaceAnalysis,
    *,
    related_information: bool = True,
) -> types.Diagnostic:
    """One diagnostic of `doc` in LSP form."""
    range_ = doc.lines.lsp_range(diagnostic.span)
    message = diagnostic.message
    related: list[types.DiagnosticRelatedInformation] = []
    if related_information:
        if diagnostic.help:
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=doc.uri, range=range_), message=f"help: {diagnostic.help}"
                )
            )
        for r in diagnostic.related:
            related.append(
                types.DiagnosticRelatedInformation(
                    location=location(r.span, doc, analysis), message=r.message
                )
            )
    else:
        if diagnostic.help:
            message = f"{message}\nhelp: {diagnostic.help}"
        for r in diagnostic.related:
            message = f"{message}\n{r.span.path}:{r.span.start.line}:{r.span.start.column}: {r.message}"
    return types.Diagnostic(
        range=range_,
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
        data={"help": diagnostic.help} if diagnostic.help else None,
    )


def location(span: Span, doc: ParsedDocument, analysis: WorkspaceAnalysis) -> types.Location:
    """The LSP location of a span in `doc` or in any other document of the analysis."""
    if span.path == doc.path:
        return types.Location(uri=doc.uri, range=doc.lines.lsp_range(span))
    other = analysis.documents.get(span.path)
    if other is not None:
        return types.Location(uri=other.uri, range=other.lines.lsp_range(span))
    return types.Location(uri=path_to_uri(span.path), range=span_range_without_text(span))
