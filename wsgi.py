"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import sys

from sqlalchemy.exc import OperationalError

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
    # Fail at start-up, in one line, when the database cannot be reached.
    with app.extensions["stockwise_db"].engine.connect():
        pass
except ConfigError as exc:
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
except OperationalError as exc:
    print(f"error: cannot connect to DATABASE_URL: {str(exc.orig).strip().splitlines()[0]}", file=sys.stderr)
    raise SystemExit(2) from None
