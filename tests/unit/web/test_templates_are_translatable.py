"""Every visible English word in a template goes through gettext (`{{ _('…') }}`).

Jinja tags are blanked out first (so `{{ _('Save') }}` and `{{ row.sku }}` disappear), then
the remaining HTML text nodes and the attributes users see (placeholder, title, aria-label,
alt) must not contain English words. Codes and brand names are allow-listed.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted(p for base in ("app", "portal") for p in (ROOT / base).rglob("templates/**/*.html"))
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
# Same in every language: the brand, the language's own name in the switcher, and the CSS
# class names that a `{% block main_class %}` holds (they are text only to this scanner).
ALLOWED = {"Stockwise", "English", "container login-page"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.in_code += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and re.search(r"[A-Za-z]{2,}", value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not self.in_code and re.search(r"[A-Za-z]{2,}", text):
            for part in ALLOWED:
                text = text.replace(part, "")
            if re.search(r"[A-Za-z]{2,}", text):
                self.found.append((self.getpos()[0], text))


def untranslated_text(source: str) -> list[tuple[int, str]]:
    # Replace each Jinja tag by the newlines it spans, so reported line numbers stay right.
    blanked = JINJA.sub(lambda m: " " + "\n" * m.group(0).count("\n"), source)
    parser = _Text()
    parser.feed(blanked)
    return parser.found


def test_the_scanner_finds_an_unwrapped_heading_and_accepts_wrapped_text() -> None:
    assert untranslated_text("<h1>{{ _('Orders') }}</h1><td>{{ row.sku }}</td>") == []
    assert untranslated_text("<h1>Orders</h1>\n<button>{{ _('Save') }}</button>") == [(1, "Orders")]
    assert untranslated_text('<input placeholder="e.g. SUP1">') == [(1, "placeholder='e.g. SUP1'")]


def test_templates_exist() -> None:
    assert len(TEMPLATES) > 40


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_template_has_no_unwrapped_english(template: Path) -> None:
    assert untranslated_text(template.read_text(encoding="utf-8")) == []
