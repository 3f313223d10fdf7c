"""The ordered adapter registry and the one entry point that classifies a pasted failure.

Order matters: provider adapters that recognise a payload by its own grammar come first;
`http` reads any status code or challenge, so it comes last. The first adapter whose
`parse()` returns a Diagnosis wins, and a generic HTTP answer is re-read with the provider its
hosts, ARNs or SDK names point to (adapters/generic.py). A provider hint never reorders them (the payload's own
grammar overrules a wrong hint); adapters read it to accept payloads too terse to recognise
alone, such as a bare "Access Denied" sent with provider "aws".
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from adapters.aws.adapter import AwsAdapter
from adapters.base import UNRECOGNISED, Adapter, Diagnosis, Payload
from adapters.generic import attribute_provider
from adapters.http.adapter import HttpAdapter
from adapters.kubernetes.adapter import KubernetesAdapter
from adapters.normalize import normalize


class _Deferred:
    """An adapter imported when its turn first comes: a paste that AWS (or Kubernetes) recognises never
    loads the GCP and Azure adapters (~8 ms of `whydenied explain`, which starts once per paste)."""

    name: ClassVar[str]
    _where: ClassVar[tuple[str, str]]  # module, class

    def __init__(self) -> None:
        self._adapter: Adapter | None = None

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Parse as the adapter does (importing it on the first call)."""
        adapter = self._adapter
        if adapter is None:
            module, cls = self._where
            adapter = self._adapter = getattr(importlib.import_module(module), cls)()
        return adapter.parse(payload)


class _Gcp(_Deferred):
    name: ClassVar[str] = "gcp"
    _where = ("adapters.gcp.adapter", "GcpAdapter")


class _Azure(_Deferred):
    name: ClassVar[str] = "azure"
    _where = ("adapters.azure.adapter", "AzureAdapter")


_HTTP: Final = HttpAdapter()
ADAPTERS: Final[tuple[Adapter, ...]] = (KubernetesAdapter(), AwsAdapter(), _Gcp(), _Azure(), _HTTP)

ADAPTER_NAMES: Final = tuple(adapter.name for adapter in ADAPTERS)


def diagnose(
    error: str | Mapping[str, Any] | list[Any],
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    provider: str | None = None,
) -> Diagnosis:
    """Classify one pasted failure: normalise it, then ask each adapter in order."""
    payload = normalize(error, status_code=status_code, headers=headers, provider_hint=provider)
    # A CDN or WAF block page is nobody's IAM answer, even with a cloud's headers on it.
    if (edge := _HTTP.parse_edge_block(payload)) is not None:
        return edge
    for adapter in ADAPTERS:
        diagnosis = adapter.parse(payload)
        if diagnosis is not None:
            return attribute_provider(diagnosis, payload)
    return UNRECOGNISED
