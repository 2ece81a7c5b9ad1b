"""Schedule page file names: safe, bounded, unique."""

from __future__ import annotations

import pytest

from symbi_lang.docs.naming import MAX_SLUG, slugify, unique_slugs


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("daily-report", "daily-report"),
        ("weekly_digest", "weekly_digest"),
        ("Morning report <b>bold</b> | piped", "morning-report-b-bold-b-piped"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", "schedule"),
        ("", "schedule"),
        ("/", "schedule"),
        (".hidden", "hidden"),
        ("v1.2", "v1.2"),
        ("CON", "con_"),
        ("nul.txt", "nul.txt_"),
        ("Zürich täglich", "z-rich-t-glich"),
        ("C:\\Windows\\x", "c-windows-x"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugs_are_bounded() -> None:
    slug = slugify("x" * 500)
    assert len(slug) == MAX_SLUG


def test_unique_slugs_case_insensitively() -> None:
    slugs = unique_slugs(["watch_loop", "Watch_Loop", "WATCH_LOOP", "watch_loop-2", "a/b", "a?b"])
    assert slugs == {
        "watch_loop": "watch_loop",
        "Watch_Loop": "watch_loop-2",
        "WATCH_LOOP": "watch_loop-3",
        "watch_loop-2": "watch_loop-2-2",
        "a/b": "a-b",
        "a?b": "a-b-2",
    }
    assert len(set(slugs.values())) == len(slugs)
