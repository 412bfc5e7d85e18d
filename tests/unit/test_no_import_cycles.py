"""No two of our modules import each other in a circle (tools/import_cycles.py reads the source)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "tools" / "import_cycles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_our_modules_import_each_other_in_no_circle() -> None:
    tool = _tool()
    graph = tool.edges(ROOT)
    assert len(graph) > 150 and "app.purchasing.web" in graph["app.purchasing.views"]  # the graph is the real one
    cycles = [tool.a_cycle(graph, comp) for comp in tool.components(graph)]
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_tool_finds_a_circle(tmp_path: Path) -> None:
    tool = _tool()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "a.py").write_text("from app.b import x\n")
    (tmp_path / "app" / "b.py").write_text("def f():\n    from app import a\n")
    graph = tool.edges(tmp_path)
    assert tool.components(graph) == [["app.a", "app.b"]]
