"""Prometheus metrics, one registry per app (tests build many apps; the global registry would clash)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass
class Metrics:
    """The service's counters and histogram."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.diagnoses = Counter(
            "whydenied_diagnoses", "Diagnoses by provider and reason.", ["provider", "reason"], registry=self.registry
        )
        self.latency = Histogram(
            "whydenied_diagnose_seconds",
            "Time to diagnose one request (classification and rendering).",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=self.registry,
        )
        self.errors = Counter("whydenied_errors", "Problem responses by status.", ["status"], registry=self.registry)

    def observe(self, provider: str | None, reason: str | None, seconds: float) -> None:
        """Count one diagnosis and its latency."""
        self.diagnoses.labels(provider or "none", reason or "none").inc()
        self.latency.observe(seconds)

    def exposition(self) -> bytes:
        """Return the text exposition format."""
        return generate_latest(self.registry)
