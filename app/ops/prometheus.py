"""Prometheus metrics. Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR
(an empty directory, wiped at deploy) so every worker writes its samples there and
`/metrics` aggregates them (prometheus_client multiprocess mode; see docs/deploy.md).
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter("stockwise_http_requests_total", "HTTP requests by endpoint and status",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("stockwise_http_request_duration_seconds", "Request latency by endpoint", ["method", "endpoint"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RESERVATIONS = Counter("stockwise_reservations_total",
                       "Reservation outcomes (created, insufficient, committed, released, expired)", ["outcome"])


class WebhookBacklog(Collector):
    """Change-log rows not yet delivered, per webhook client: read from the database at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.api.webhooks import webhook_backlog

        family = GaugeMetricFamily("stockwise_webhook_backlog", "Stock changes waiting for webhook delivery",
                                   labels=["client"])
        try:
            with self.app.app_context():
                from app.db import session

                for name, backlog in webhook_backlog(session()):
                    family.add_metric([name], backlog)
        except Exception:  # noqa: S110 (a scrape must not fail because the database is down; healthz reports that)
            pass
        yield family


def registry_for(app: Flask) -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUESTS, LATENCY, RESERVATIONS):
            registry.register(collector)
    registry.register(WebhookBacklog(app))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def instrument(app: Flask) -> None:
    """Count and time every request, labelled by its route rule (bounded cardinality)."""

    @app.before_request
    def _start() -> None:
        g._metrics_start = time.perf_counter()

    # The labelled children, found once per (method, route, status): `labels()` validates
    # and locks on every call (a third of this hook's CPU).
    latency: dict[tuple[str, str], Any] = {}
    requests: dict[tuple[str, str, int], Any] = {}

    @app.after_request
    def _finish(resp: Any) -> Any:
        start = g.pop("_metrics_start", None)
        if start is not None:
            spent = time.perf_counter() - start
            method, rule = request.method, request.url_rule
            endpoint = rule.rule if rule is not None else "unmatched"
            status = resp.status_code
            timer = latency.get((method, endpoint))
            if timer is None:
                timer = latency[(method, endpoint)] = LATENCY.labels(method, endpoint)
            counter = requests.get((method, endpoint, status))
            if counter is None:
                counter = requests[(method, endpoint, status)] = REQUESTS.labels(method, endpoint, str(status))
            timer.observe(spent)
            counter.inc()
        return resp

