"""The import direction of docs/architecture.md, checked over the real import graph.

adapters (web, api, portal, cli, views, forms) → services (the domains) → stock core
(app/stock) → db (app/db.py, errors, config, every models.py, the audit log); forecasting/
imports nothing of ours, and inside it the forecast side never imports the replenishment side.
Every `import` statement counts, also the ones inside functions.
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("app", "portal", "forecasting")
RANK = {"db": 0, "stock": 1, "service": 2, "adapter": 3}
# The foundation every layer may use: plumbing, domain errors, schemas and the audit log
# (every unit of work writes its audit row, the stock core's too).
DB = {"app.db", "app.errors", "app.config", "app.paging", "app.numbering", "app.locale_names", "app.models",
      "app.audit", "app.audit.service", "app.audit.models"}
# Flask entry points outside the adapter packages: the app factory and CLI wiring, the shared
# login/account views of both realms, the /metrics instrumentation.
ADAPTER_MODULES = {"app", "app.factory", "app.cli", "app.migrate", "app.auth.login", "app.auth.account",
                   "app.auth.access"}  # the views' access decorators
ADAPTER_PACKAGES = {"app.web", "app.api", "app.ops", "app.admin", "portal"}
# forecasting/'s replenishment side: the forecast side (history → models → select → pipeline…)
# never imports it, so a change here keeps the forecasts (bench/replenishment.py caches on that).
REPLENISHMENT = {f"forecasting.{name}" for name in ("inventory", "fill_rate", "lost_sales", "protection",
                                                    "calibration", "replenish", "network", "plan", "batch")}
# Genuine exceptions (importer, imported) and why.
ALLOWED = {
    # The webhook deliverer and its address policy live in app/api; an admin's webhook URL is
    # checked against that one policy when auth.service stores it (no copy of the rules).
    ("app.auth.service", "app.api.webhook_address"),
}


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """Our modules that `name` imports (a `from pkg import mod` counts as `pkg.mod`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
            found.update(subs or {base})
    out = set()
    for target in found:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target.split(".")[0] in PACKAGES:
            out.add(target)
    return out


def layer(name: str) -> str:
    parts = name.split(".")
    last = parts[-1]
    if name in ADAPTER_MODULES or any(name == p or name.startswith(p + ".") for p in ADAPTER_PACKAGES):
        return "adapter"
    # a domain's web side: its pages, forms, CLI, blueprint and request parsing (web), chart building
    if last in ("views", "forms", "cli", "web", "charts") or last.endswith(("_views", "_forms")):
        return "adapter"
    if name in DB or last == "models":
        return "db"
    if parts[:2] == ["app", "stock"]:
        return "stock"
    return "service"


def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for importer, targets in sorted(graph.items()):
        for target in sorted(targets):
            if importer.startswith("forecasting"):
                if not target.startswith("forecasting"):
                    bad.append(f"{importer} -> {target} (forecasting/ imports nothing of ours)")
                elif target in REPLENISHMENT and importer not in REPLENISHMENT and importer != "forecasting":
                    bad.append(f"{importer} -> {target} (the forecast side never imports the replenishment side)")
            elif target.startswith("forecasting"):
                continue  # any layer may use the library
            elif RANK[layer(target)] > RANK[layer(importer)] and (importer, target) not in ALLOWED:
                bad.append(f"{importer} ({layer(importer)}) -> {target} ({layer(target)})")
    return bad


def test_imports_point_down_the_layers_only() -> None:
    assert back_arrows(_graph()) == []


def test_every_listed_exception_is_still_needed() -> None:
    graph = _graph()
    assert [pair for pair in sorted(ALLOWED) if pair[1] not in graph.get(pair[0], set())] == []


def test_the_check_sees_a_back_arrow_and_function_level_imports() -> None:
    graph = _graph()
    assert "app.stock.service" in graph["app.stock.reservations"]  # the graph is the real one
    assert layer("app.stock.service") == "stock" and layer("app.purchasing.views") == "adapter"
    assert layer("app.purchasing.receiving") == "service" and layer("app.purchasing.models") == "db"
    broken = {**graph, "app.stock.service": graph["app.stock.service"] | {"app.transfers.service"},
              "app.catalog.service": graph["app.catalog.service"] | {"app.catalog.views"},
              "forecasting.select": graph["forecasting.select"] | {"app.db"},
              "forecasting.pipeline": graph["forecasting.pipeline"] | {"forecasting.inventory"}}
    assert back_arrows(broken) == [
        "app.catalog.service (service) -> app.catalog.views (adapter)",
        "app.stock.service (stock) -> app.transfers.service (service)",
        "forecasting.pipeline -> forecasting.inventory (the forecast side never imports the replenishment side)",
        "forecasting.select -> app.db (forecasting/ imports nothing of ours)",
    ]


def test_the_replay_bench_keys_its_forecasts_on_the_forecast_side_only() -> None:
    """bench/replenishment.py reuses cached forecasts while only its POLICY_MODULES changed: they
    must be the replenishment side exactly (a forecast-side one there would reuse stale forecasts)."""
    tree = ast.parse((ROOT / "bench" / "replenishment.py").read_text(encoding="utf-8"))
    listed = next(ast.literal_eval(node.value.args[0]) for node in ast.walk(tree)
                  if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                  and any(getattr(target, "id", None) == "POLICY_MODULES" for target in node.targets))
    assert {f"forecasting.{name.removesuffix('.py')}" for name in listed} == REPLENISHMENT
    assert set(MODULES) >= REPLENISHMENT
