"""The policy evaluation trace: every layer in the provider's order, the one that said no marked, commands filled.

Payloads are real (sources beside each); the statuses follow what each message proves: AWS names the
policy type that denied and says whether the Deny was explicit; Google's IAM_PERMISSION_DENIED does not
tell a missing binding from a deny policy, so that layer stays `unknown`.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.services.trace import AWS_LAYERS, GCP_LAYERS

# https://github.com/alphagov/govuk-infrastructure/pull/2439
IMPLICIT_IDENTITY = (
    "operation error Bedrock: PutModelInvocationLoggingConfiguration, https response error StatusCode: 403, User: "
    "arn:aws:sts::210287912431:assumed-role/terraform-cloud/terraform-run-h7rD1XcGWxHMDCG7 is not authorized to "
    "perform: iam:PassRole on resource: arn:aws:iam::210287912431:role/govuk-chat-bedrock-access-role because no "
    "identity-based policy allows the iam:PassRole action"
)
# https://aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns
EXPLICIT_SCP = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/"
    "p-2kgnabcd"
)
# https://github.com/paulaaronfrank/mp3-to-txt/issues/1
GCS_FORBIDDEN = (
    "google.api_core.exceptions.Forbidden: 403 GET https://storage.googleapis.com/storage/v1/b/mp3-to-speech-audio"
    "?projection=noAcl: mp3-to-txt-final@mp-to-ext-final.iam.gserviceaccount.com does not have storage.buckets.get "
    "access to the Google Cloud Storage bucket."
)


def _trace(client: TestClient, error: str) -> dict[str, dict[str, Any]]:
    body = client.post("/v1/diagnose", json={"error": error}).json()
    assert body["guidance"]["trace"] is not None, body["reason"]
    return {layer["layer"]: layer for layer in body["guidance"]["trace"]}


def test_an_implicit_deny_marks_its_layer_and_rules_out_an_explicit_deny(shared_client: TestClient) -> None:
    trace = _trace(shared_client, IMPLICIT_IDENTITY)
    assert list(trace) == [layer.id for layer in AWS_LAYERS]  # the evaluation order, whole
    assert [k for k, v in trace.items() if v["verdict"] == "denied"] == ["identity_policy"]
    assert trace["explicit_deny"]["verdict"] == "passed"
    assert {trace[k]["verdict"] for k in ("rcp", "scp", "permissions_boundary", "session_policy")} == {"unknown"}
    # Each layer's inspection is filled with the paste's facts: the role the session belongs to.
    assert "terraform-cloud" in trace["identity_policy"]["inspect"]
    assert "terraform-cloud" in trace["permissions_boundary"]["inspect"]
    assert trace["scp"]["entry"] == "aws.authz.implicit_deny.scp"


def test_an_explicit_deny_marks_the_deny_and_the_policy_type_that_holds_it(shared_client: TestClient) -> None:
    trace = _trace(shared_client, EXPLICIT_SCP)
    assert {k for k, v in trace.items() if v["verdict"] == "denied"} == {"explicit_deny", "scp"}
    assert trace["identity_policy"]["verdict"] == "unknown"
    assert "ends the evaluation" in trace["identity_policy"]["proves"]
    # The Deny is in the SCP the message names: its row reads that SCP, and the "explicit Deny" row
    # does not send the reader through the caller's own identity policies instead.
    assert "p-2kgnabcd" in trace["scp"]["inspect"]
    assert trace["explicit_deny"]["inspect"] is None
    assert "service control policies (SCPs)" in trace["explicit_deny"]["proves"]  # acronym kept as written


def test_a_gcp_permission_denial_does_not_claim_to_rule_out_a_deny_policy(shared_client: TestClient) -> None:
    trace = _trace(shared_client, GCS_FORBIDDEN)
    assert list(trace) == [layer.id for layer in GCP_LAYERS]
    assert trace["allow_policy"]["verdict"] == "denied"
    assert trace["deny_policy"]["verdict"] == "unknown"  # the same message: never "passed"
    assert trace["principal_access_boundary"]["verdict"] == "unknown"
    assert trace["vpc_service_controls"]["verdict"] == "passed"
    assert "mp3-to-txt-final@mp-to-ext-final.iam.gserviceaccount.com" in trace["allow_policy"]["inspect"]


def test_no_command_in_a_trace_changes_state(shared_client: TestClient) -> None:
    for error in (IMPLICIT_IDENTITY, EXPLICIT_SCP, GCS_FORBIDDEN):
        for layer in _trace(shared_client, error).values():
            command = layer["inspect"] or ""
            assert not any(verb in command for verb in (" put-", " attach-", " add-iam-policy-binding", " set-iam"))


def test_failures_that_are_not_policy_denials_carry_no_trace(shared_client: TestClient) -> None:
    for error in (
        "An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired.",
        'HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Bearer realm="api"',
    ):
        guidance = shared_client.post("/v1/diagnose", json={"error": error}).json()["guidance"]
        assert guidance is None or "trace" not in guidance


def test_the_trace_is_on_the_web_page_after_the_card(shared_client: TestClient) -> None:
    page = shared_client.post("/", data={"error": EXPLICIT_SCP}).text
    assert page.index('class="card') < page.index('class="trace"') < page.index('class="playbook-title"')
    denied = page.split('class="trace-layer denied"')
    assert len(denied) == 3  # the explicit Deny and the SCP that holds it
    assert "Service control policies (SCPs) of the organization" in denied[2].split("</li>")[0]


def test_the_trace_renders_as_markdown_with_its_command_whole() -> None:
    from markdown_it import MarkdownIt

    from api.catalog import load_catalog
    from api.schemas import DiagnoseRequest
    from api.services.diagnosis import diagnose_request
    from api.terminal import Style, render_markdown, render_text

    response = diagnose_request(DiagnoseRequest(error=IMPLICIT_IDENTITY), load_catalog()).model_dump(mode="json")
    inspect = next(layer["inspect"] for layer in response["guidance"]["trace"] if layer["verdict"] == "denied")
    markdown = render_markdown(response)
    blocks = [t.content for t in MarkdownIt("commonmark").parse(markdown) if t.type in ("fence", "code_block")]
    assert any(block.strip() == inspect.strip() for block in blocks)  # one block holds the whole command
    assert "**SAID NO**: The caller's identity-based policies" in markdown
    text = render_text(response, Style(False))
    assert "SAID NO       The caller's identity-based policies" in text
    assert text.index("Policy evaluation") < text.index("Likely causes")


def test_steps_that_change_state_carry_the_contracts_flag(shared_client: TestClient) -> None:
    guidance = shared_client.post("/v1/diagnose", json={"error": IMPLICIT_IDENTITY}).json()["guidance"]
    steps = [step for key in ("diagnosis", "fix", "verify") for step in guidance[key]]
    changing = [step for step in steps if step.get("changes")]
    assert changing and all(step.get("changes_state") is True for step in changing)
    assert not any(step.get("changes_state") for step in steps if not step.get("changes"))


# https://github.com/cisagov/crossfeed/pull/2198
CLOUDTRAIL_BUCKET_POLICY = (
    "Error: creating CloudTrail: InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected for "
    "bucket: cisa-crossfeed-staging-logging"
)


def test_a_service_principal_refused_by_a_bucket_policy_marks_the_resource_policy(shared_client: TestClient) -> None:
    trace = _trace(shared_client, CLOUDTRAIL_BUCKET_POLICY)
    assert [k for k, v in trace.items() if v["verdict"] == "denied"] == ["resource_policy"]
    # CloudTrail names the bucket policy and nothing else: no layer is claimed to have passed.
    assert {v["verdict"] for k, v in trace.items() if k != "resource_policy"} == {"unknown"}
