"""The registry of diagnostic codes. Codes are never reused; messages live here, not in f-strings.

Ranges: SYM0xx syntax · SYM1xx fields and structure · SYM2xx cron, `at`, time · SYM3xx delivery ·
SYM4xx policy and identity · SYM5xx interpolation and secrets · SYM6xx heartbeat and sessions ·
SYM7xx cross-file (names, agents) · SYM9xx input/output.
"""

from __future__ import annotations

from symbi_lang.diagnostics import Code, Severity

E = Severity.ERROR
W = Severity.WARNING
I = Severity.INFO  # noqa: E741

REGISTRY: dict[str, Code] = {}


def _code(code: str, slug: str, severity: Severity, template: str, description: str = "") -> Code:
    if code in REGISTRY:
        raise ValueError(f"diagnostic code {code} registered twice")
    c = Code(code, slug, severity, template, description)
    REGISTRY[code] = c
    return c


# --- SYM0xx: syntax -------------------------------------------------------------------------------
UNEXPECTED_TOKEN = _code("SYM001", "unexpected-token", E, "unexpected {found}{expected}")
MISSING_COLON = _code("SYM002", "missing-colon", E, "expected `:` after field name `{name}`")
MISSING_VALUE = _code("SYM003", "missing-value", E, "missing value for `{name}`")
UNCLOSED_BLOCK = _code("SYM004", "unclosed-block", E, "unclosed `{kind}` block: `{{` has no matching `}}`")
STRAY_CLOSE = _code("SYM005", "stray-close", E, "unexpected `{char}`: nothing is open here")
UNTERMINATED_STRING = _code("SYM006", "unterminated-string", E, "unterminated string")
BAD_CHARACTER = _code("SYM007", "bad-character", E, "unexpected character {char}")
MISSING_COMMA = _code("SYM008", "missing-comma", E, "expected `,` between {what} items")
UNCLOSED_BRACKET = _code("SYM009", "unclosed-bracket", E, "unclosed `{open}`: expected `{close}`")
BAD_ESCAPE = _code("SYM010", "bad-escape", E, "unknown escape sequence `{escape}`")
MISSING_BLOCK_BODY = _code("SYM011", "missing-block-body", E, "expected `{{` to open the `{kind}` block")

# --- SYM9xx: input/output -------------------------------------------------------------------------
FILE_NOT_FOUND = _code("SYM901", "file-not-found", E, "no such file or directory: {path}")
FILE_UNREADABLE = _code("SYM902", "file-unreadable", E, "cannot read {path}: {reason}")
NOT_UTF8 = _code("SYM903", "not-utf8", E, "{path} is not valid UTF-8 text")
NO_FILES = _code("SYM904", "no-files", W, "no .symbi files found under {path}")
