"""The identity context (guidance.identity): who really made the call, each item with its evidence and why
it matters, on every surface (JSON, web page, Markdown, terminal).

Payloads are real (sources beside each) except where marked; the CloudTrail and audit-log records are
those of tests/adapters/test_identity_facts.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from tests.adapters.test_identity_facts import DELEGATED, GCP_KEY_DENIED, ROLE_CHAINING

# https://github.com/alphagov/govuk-infrastructure/pull/2439
ASSUMED_ROLE = (
    "operation error Bedrock: PutModelInvocationLoggingConfiguration, https response error StatusCode: 403, User: "
    "arn:aws:sts::210287912431:assumed-role/terraform-cloud/terraform-run-h7rD1XcGWxHMDCG7 is not authorized to "
    "perform: iam:PassRole on resource: arn:aws:iam::210287912431:role/govuk-chat-bedrock-access-role because no "
    "identity-based policy allows the iam:PassRole action"
)
# https://github.com/GoogleCloudPlatform/generative-ai/issues/821
COMPUTE_DEFAULT = (
    "WARNING: [1039469147354-compute@developer.gserviceaccount.com] does not have permission to access projects "
    "instance [gemini-grounding-427805] (or it may not exist): Cloud Resource Manager API has not been used in "
    "project 1039469147354 before or it is disabled. Enable it by visiting https://console.developers.google.com/"
    "apis/api/cloudresourcemanager.googleapis.com/overview?project=1039469147354 then retry. If you enabled this API "
    "recently, wait a few minutes for the action to propagate to our systems and retry. This command is "
    "authenticated as 1039469147354-compute@developer.gserviceaccount.com"
)
# https://github.com/k3s-io/k3s/issues/1455
K8S_SERVICE_ACCOUNT = (
    'Error from server (Forbidden): nodes "ip-172-31-4-222" is forbidden: User "system:serviceaccount:system-upgrade:'
    'default" cannot get resource "nodes" in API group "" at the cluster scope'
)
# https://github.com/hashicorp/terraform-provider-azurerm/issues/495
AZURE_OBJECT_ID = (
    "* azurerm_role_assignment.test: authorization.RoleAssignmentsClient#Create: Failure responding to request: "
    'StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationFailed"'
    " Message=\"The client '06ce6bb4-51ed-4d42-8bac-7d0f53d2e1f4' with object id '06ce6bb4-51ed-4d42-8bac-7d0f53d2e1f4'"
    " does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope "
    "'/subscriptions/743f6ed6-83a8-46f0-822d-ea93b953952d'.\""
)
HOSTILE_SOURCE = "<script>alert(1)</script>"
HOSTILE_TAG = "a`` ` [x](http://evil.example) <img src=x onerror=alert(1)>"


def _identity(client: TestClient, error: Any) -> dict[str, Any]:
    body = client.post("/v1/diagnose", json={"error": error}).json()
    assert body["guidance"] is not None, body
    section: dict[str, Any] = body["guidance"]["identity"]
    return section


def _items(section: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {item["key"]: item for item in section["items"]}


def _hostile() -> dict[str, Any]:
    record = copy.deepcopy(ROLE_CHAINING)  # source: synthetic (hostile values in a documented record)
    record["userIdentity"]["sessionContext"]["sourceIdentity"] = HOSTILE_SOURCE
    record["requestParameters"]["tags"] = [{"key": "Team", "value": HOSTILE_TAG}]
    return record


def test_a_session_arn_names_its_role_as_inferred_and_says_the_path_is_not_in_it(shared_client: TestClient) -> None:
    section = _identity(shared_client, ASSUMED_ROLE)
    items = _items(section)
    assert items["principal_kind"]["value"] == "assumed-role session"
    assert items["principal_kind"]["evidence"] == "inferred"  # from the ARN's shape: no record says so
    assert items["role_arn"]["value"] == "arn:aws:iam::210287912431:role/terraform-cloud"
    assert items["role_arn"]["evidence"] == "inferred" and "path" in items["role_arn"]["why"]
    assert items["role_session_name"]["value"] == "terraform-run-h7rD1XcGWxHMDCG7"
    assert section["command"] == "aws sts get-caller-identity"
    assert all(item["reference"].startswith("https://docs.aws.amazon.com/") for item in section["items"])


def test_a_cloudtrail_role_chaining_denial_shows_what_the_record_states(shared_client: TestClient) -> None:
    items = _items(_identity(shared_client, ROLE_CHAINING))
    assert items["principal_kind"]["evidence"] == "reported"  # userIdentity.type says AssumedRole
    assert items["session_issuer"]["value"] == "arn:aws:iam::111111111111:role/JohnRole1"
    assert "role_arn" not in items  # the stated issuer (with its path) replaces the one derived from the ARN
    assert items["role_chaining"]["value"] == "yes"
    assert "one hour" in items["role_chaining"]["why"]
    assert items["external_id"]["value"] == "Unique-ID-Assigned-by-Example-Corp"
    assert "sts:ExternalId" in items["external_id"]["why"]
    assert "aws:PrincipalTag" in items["session_tags"]["why"] and "sts:TagSession" in items["session_tags"]["why"]
    assert items["mfa_authenticated"]["value"] == "false"
    assert items["credential_type"] == {**items["credential_type"], "value": "temporary", "evidence": "inferred"}


def test_a_gcp_impersonation_says_the_call_is_authorised_as_the_impersonated_account(
    shared_client: TestClient,
) -> None:
    entry = copy.deepcopy(GCP_KEY_DENIED)
    entry["protoPayload"]["authenticationInfo"] = DELEGATED
    section = _identity(shared_client, entry)
    chain = _items(section)["impersonation_chain"]
    assert chain["value"].startswith("named-engineer@glean.com -> ")
    assert "authorised as the last account" in chain["why"]
    assert section["command"] == "gcloud auth list"
    assert _items(_identity(shared_client, GCP_KEY_DENIED))["service_account_key"]["evidence"] == "reported"


def test_google_made_accounts_kubernetes_service_accounts_and_azure_object_ids_are_named(
    shared_client: TestClient,
) -> None:
    compute = _items(_identity(shared_client, COMPUTE_DEFAULT))["principal_kind"]
    assert compute["value"] == "Compute Engine default service account" and "access scopes" in compute["why"]
    k8s = _identity(shared_client, K8S_SERVICE_ACCOUNT)
    assert _items(k8s)["principal_kind"]["value"] == "service account system-upgrade:default"
    assert k8s["command"] == "kubectl auth whoami"
    azure = _identity(shared_client, AZURE_OBJECT_ID)
    assert _items(azure)["object_id"]["value"] == "06ce6bb4-51ed-4d42-8bac-7d0f53d2e1f4"
    assert azure["command"] == "az account show"


def test_a_paste_that_names_no_caller_has_no_identity_section(shared_client: TestClient) -> None:
    error = "An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired."
    guidance = shared_client.post("/v1/diagnose", json={"error": error}).json()["guidance"]
    assert guidance is not None and "identity" not in guidance


def test_the_web_page_shows_the_section_between_the_card_and_the_trace_and_escapes_values(
    shared_client: TestClient,
) -> None:
    page = shared_client.post("/", data={"error": json.dumps(_hostile())}).text
    assert page.index('class="card') < page.index('class="identity"') < page.index('class="trace"')
    assert HOSTILE_SOURCE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "aws sts get-caller-identity" in page


def test_the_markdown_keeps_each_value_inside_its_code_span() -> None:
    from api.catalog import load_catalog
    from api.schemas import DiagnoseRequest
    from api.services.diagnosis import diagnose_request
    from api.terminal import Style, render_markdown, render_text

    response = diagnose_request(DiagnoseRequest(error=_hostile()), load_catalog()).model_dump(mode="json")
    markdown = render_markdown(response)
    section = markdown.split("## Who made the call", 1)[1].split("## Policy evaluation", 1)[0]
    tokens = [t for block in MarkdownIt("commonmark").parse(section) if block.children for t in block.children]
    assert not [t for t in tokens if t.type in ("html_inline", "link_open", "image")]  # no HTML, link or image
    spans = [t.content for t in tokens if t.type == "code_inline"]
    assert HOSTILE_SOURCE in spans and any(HOSTILE_TAG in span for span in spans)
    blocks = [t.content.strip() for t in MarkdownIt("commonmark").parse(section) if t.type == "fence"]
    assert blocks == ["aws sts get-caller-identity"]
    text = render_text(response, Style(False))
    assert text.index("Who made the call") < text.index("Policy evaluation") < text.index("Likely causes")
    assert "Session issuer          arn:aws:iam::111111111111:role/JohnRole1  (reported)" in text
