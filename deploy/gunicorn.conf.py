"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_CMD_ARGS or the variables below).
With several workers, Prometheus metrics need PROMETHEUS_MULTIPROC_DIR (see docs/deploy.md);
`child_exit` tells prometheus_client when a worker is gone so its live gauges are dropped.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# Request size limits (docs/deploy.md). gunicorn answers a request past them itself, in HTML,
# before the app can give a problem+json. The request line gets gunicorn's maximum (8190
# bytes; the default 4094 cut GET /stock at ~250 SKUs) — longer SKU lists go to
# POST /api/v1/stock/query. A header field may be 32 KiB, so an oversized bearer token
# reaches the app and gets its 401 problem rather than gunicorn's 431 page.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "32768"))
limit_request_fields = 100


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
