"""The adapter registry: explicit order, first match wins, http last, and adapters stay pure."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest

from adapters import registry
from adapters.base import Diagnosis, Payload
from adapters.http.adapter import CATEGORY_OF
from api.taxonomy import Taxonomy


def test_registry_http_comes_last_and_names_are_unique() -> None:
    names = [adapter.name for adapter in registry.ADAPTERS]
    assert names[-1] == "http"
    assert len(names) == len(set(names))


def test_registry_first_adapter_that_recognises_the_payload_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    class ClaimsEverything:
        name: ClassVar[str] = "first"

        def parse(self, payload: Payload) -> Diagnosis | None:
            return Diagnosis(provider="first", reason=None, category="other", confidence=1.0)

    monkeypatch.setattr(registry, "ADAPTERS", (ClaimsEverything(), *registry.ADAPTERS))
    assert registry.diagnose("HTTP/1.1 403 Forbidden").provider == "first"


def test_registry_a_wrong_provider_hint_does_not_overrule_the_payload() -> None:
    diagnosis = registry.diagnose("HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Basic realm=x", provider="gcp")
    assert diagnosis.provider == "http"
    assert diagnosis.reason == "http.authn.missing_credentials"


def test_registry_unrecognised_payload_has_no_provider() -> None:
    diagnosis = registry.diagnose("Segmentation fault (core dumped)")
    assert (diagnosis.provider, diagnosis.reason, diagnosis.category) == (None, None, "other")


def test_http_adapter_covers_every_http_reason_in_the_taxonomy(catalog_taxonomy: Taxonomy) -> None:
    http_reasons = {rid: info.category for rid, info in catalog_taxonomy.reasons.items() if info.provider == "http"}
    assert http_reasons == CATEGORY_OF


@pytest.fixture
def catalog_taxonomy() -> Taxonomy:
    from api.catalog import content_root
    from api.taxonomy import load_taxonomy

    return load_taxonomy(content_root() / "taxonomy.yaml")


def test_diagnose_path_imports_no_web_database_or_cloud_sdk() -> None:
    probe = (
        "import sys, adapters.registry as r; r.diagnose('HTTP/1.1 403 Forbidden');"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi','starlette','sqlmodel','sqlalchemy','boto3','botocore','google','grpc','kubernetes','azure','msal'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_service_import_does_not_load_cloud_sdks() -> None:
    probe = (
        "import sys, api.main, api.cli;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3','botocore','google','grpc','kubernetes','azure','msal'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_deferred_adapters_are_the_real_ones_in_the_same_order() -> None:
    # GCP and Azure load on their first turn; their names and answers are the adapters' own.
    from adapters.azure.adapter import AzureAdapter
    from adapters.gcp.adapter import GcpAdapter

    names = [adapter.name for adapter in registry.ADAPTERS]
    assert names == ["kubernetes", "aws", GcpAdapter.name, AzureAdapter.name, "http"]
    gcp = "ERROR: (gcloud.projects.describe) PERMISSION_DENIED: Permission 'resourcemanager.projects.get' denied"
    assert registry.diagnose(gcp).provider == "gcp"


def test_an_aws_paste_loads_neither_the_gcp_nor_the_azure_adapter() -> None:
    probe = (
        "import sys, adapters.registry as r;"
        "d = r.diagnose('An error occurred (AccessDenied) when calling the PutObject operation: Access Denied');"
        "print(d.provider, sorted(m for m in sys.modules if m.startswith(('adapters.gcp.a', 'adapters.azure.a'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["aws", "[]"]
