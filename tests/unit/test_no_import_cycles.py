"""No two of our modules import each other in a circle (tests/tools/import_cycles.py reads the source)."""
from __future__ import annotations

from pathlib import Path

from tests.tools import import_cycles as tool

ROOT = Path(__file__).resolve().parents[2]


def test_our_modules_import_each_other_in_no_circle() -> None:
    graph = tool.edges(ROOT)
    assert len(graph) > 150 and "app.purchasing.web" in graph["app.purchasing.views"]  # the graph is the real one
    cycles = [tool.a_cycle(graph, comp) for comp in tool.components(graph)]
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_tool_finds_a_circle(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "a.py").write_text("from app.b import x\n")
    (tmp_path / "app" / "b.py").write_text("def f():\n    from app import a\n")
    graph = tool.edges(tmp_path)
    assert tool.components(graph) == [["app.a", "app.b"]]
