#!/bin/sh
# Production HTTP server: granian (WSGI), chosen by measurement — docs/deploy.md "Capacity".
#   deploy/serve.sh                       (from the project directory, venv active or .venv present)
# Every setting can be overridden from the environment:
#   BIND_HOST (127.0.0.1), BIND_PORT (8000), WEB_CONCURRENCY (worker processes, 2),
#   WEB_THREADS (threads per worker, 8), PROMETHEUS_MULTIPROC_DIR (wiped here before start).
# gunicorn remains possible: gunicorn -c deploy/gunicorn.conf.py wsgi:app
set -eu
cd "$(dirname "$0")/.."
GRANIAN="${GRANIAN:-$(command -v granian || echo .venv/bin/granian)}"
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # Each worker writes its samples there; /metrics adds them up. Only counters and
    # histograms (no live gauges), so a dead worker's files need no marking, just a wipe per start.
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi
exec "$GRANIAN" --interface wsgi --host "${BIND_HOST:-127.0.0.1}" --port "${BIND_PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-2}" --blocking-threads "${WEB_THREADS:-8}" --backlog 2048 --no-ws \
    --respawn-failed-workers --workers-kill-timeout 30 --access-log wsgi:app
