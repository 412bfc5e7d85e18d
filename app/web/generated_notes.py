"""Notes the system writes (on movements, POs, transfers) are stored in English, language-neutral;
this translates the known shapes when a page renders them. A note a person typed is shown as is."""
from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

# (pattern of the stored English note, its translation from the match)
PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"from replenishment suggestions"), lambda m: _("from replenishment suggestions")),
    (re.compile(r"(?P<po>\S+) line (?P<n>\d+)"), lambda m: _("%(po)s line %(n)s", po=m["po"], n=m["n"])),
    (re.compile(r"counted (?P<c>-?\d+), system (?P<s>-?\d+)"),
     lambda m: _("counted %(counted)s, system %(system)s", counted=m["c"], system=m["s"])),
    (re.compile(r"CSV import row (?P<n>\d+)"), lambda m: _("CSV import row %(n)s", n=m["n"])),
    (re.compile(r"opening balance"), lambda m: _("opening balance")),
]


def translate_note(note: str | None) -> str:
    """The note in the UI language when it is one the system writes; else unchanged ("" for none)."""
    if not note:
        return ""
    for pattern, render in PATTERNS:
        if m := pattern.fullmatch(note):
            return render(m)
    return note
