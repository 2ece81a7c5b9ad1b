"""The text report reads each source's lines once, however many diagnostics point into it (splitting the
file per diagnostic made `symbi check` quadratic in the number of diagnostics)."""

from __future__ import annotations

from symbi_lang import codes
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.render import render_text
from symbi_lang.span import span_of


class CountingSources(dict[str, str]):
    """A sources mapping that counts how often a file's text is fetched."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.fetches = 0

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.fetches += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.fetches += 1
        return super().__getitem__(key)


def test_each_source_is_split_once_for_many_diagnostics() -> None:
    text = "".join(f'schedule s{i} {{ agent: "a{i}" }}\n' for i in range(500))
    sources = CountingSources({"f.symbi": text})
    diagnostics: list[Diagnostic] = []
    for i in range(500):
        start = text.index(f'"a{i}"')
        span = span_of(text, "f.symbi", start, start + len(f'"a{i}"'))
        diagnostics.append(codes.AGENT_NOT_DEFINED.at(span, name=f"a{i}"))
    report = render_text(diagnostics, sources)
    assert sources.fetches == 1
    # and every diagnostic still shows its own source line with the carets under the name
    assert report.count("info[SYM703]") == 500
    assert '250 | schedule s249 { agent: "a249" }' in report
    line = report.splitlines()[report.splitlines().index('250 | schedule s249 { agent: "a249" }') + 1]
    assert line == "    |                        ^^^^^^"
