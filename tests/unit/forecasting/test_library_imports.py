"""`forecasting/` is a library: importing any of its modules loads nothing of the app or the
web stack, so a Dask or Ray worker needs only `forecasting/` and the scientific stack."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("app", "portal", "flask", "werkzeug", "sqlalchemy", "flask_babel", "wtforms")

PROBE = """
import json, pkgutil, importlib, sys
import forecasting
names = sorted(m.name for m in pkgutil.walk_packages(forecasting.__path__, "forecasting."))
for name in names:
    importlib.import_module(name)
forbidden = %r
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({"modules": names, "loaded": loaded}))
"""


def test_every_forecasting_module_imports_without_the_app_flask_or_sqlalchemy() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE % (FORBIDDEN,)], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=120)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "forecasting.pipeline" in result["modules"] and "forecasting.batch" in result["modules"]
    assert result["loaded"] == [], f"forecasting/ pulled in {result['loaded']}"
