"""Commands chosen per case (issue 13): the steps that fit this principal and resource, filled from
facts and derived values, state changes marked, unfilled values as variables on every surface.

Real payloads (sources beside each); the same response feeds the API, the web page, Markdown, HTML
and the terminal, so each surface is checked for the same choice.
"""

from __future__ import annotations

import re
from typing import Any, Final

from fastapi.testclient import TestClient

from api.formats import to_html, to_markdown
from api.render import placeable
from api.terminal import Style, render_text

# https://github.com/aws/aws-cdk-cli/pull/1676 (a Lambda role session denied s3:CreateBucket)
ROLE_SESSION: Final = (
    "ERROR Setup failed: AccessDenied - User: arn:aws:sts::053108159643:assumed-role/"
    "IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1/IamDeniedCustomResourceStack-CrHandler8F2F7DBF-"
    'llNoqKZOJ9iS is not authorized to perform: s3:CreateBucket on resource: "arn:aws:s3:::iam-denied-setup-27a9ec06-'
    '7d94-4a45-9318-e6f08c9aea4d" because no identity-based policy allows the s3:CreateBucket action'
)
# https://github.com/aws/aws-cdk/issues/27067 (an IAM user denied iam:GetRole)
IAM_USER: Final = (
    'Resource handler returned message: "User: arn:aws:iam::341538367464:user/matt is not authorized to perform: '
    "iam:GetRole on resource: role cdk-hnb659fds-image-publishing-role-341538367464-eu-west-2 because no "
    "identity-based policy allows the iam:GetRole action (Service: Iam, Status Code: 403, Request ID: "
    '2014b22d-8e58-43c3-82d0-4fe2a2f66841)"'
)
# https://github.com/google-marketing-solutions/causmos/issues/43 (Secret Manager, Python client)
SECRET: Final = (
    "google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access' denied for "
    "resource 'projects/ums-causmos-470308/secrets/flask_secret_key/versions/latest' (or it may not exist)."
)
_UNFILLED = re.compile(r'"\$\{([A-Z][A-Z0-9_]*):\?')


def _diagnose(client: TestClient, error: str) -> dict[str, Any]:
    response = client.post("/v1/diagnose", json={"error": error})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _steps(guidance: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for section in ("diagnosis", "fix", "verify") for step in guidance[section]]


def _commands(guidance: dict[str, Any]) -> list[str]:
    return [step["command"] for step in _steps(guidance) if step.get("command")]


def test_a_role_session_gets_role_commands_filled_and_no_user_commands(shared_client: TestClient) -> None:
    body = _diagnose(shared_client, ROLE_SESSION)
    assert body["reason"] == "aws.authz.implicit_deny.identity_policy"
    role = "IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1"
    assert body["derived"]["principal_kind"] == "role_session" and body["derived"]["role_name"] == role
    assert {"field": "role_name", "value": role, "evidence": "inferred", "basis": "derived from the principal"} in (
        body["findings"]
    )
    commands = "\n".join(_commands(body["guidance"]))
    assert f"--role-name {role}" in commands
    assert "--user-name" not in commands and "USER_NAME" not in commands  # not an IAM user
    assert "ROLE_NAME" not in commands and "ROLE_ARN" not in commands  # derived, so filled
    assert "get-request-authorization-details" not in commands  # no authorization id in this message


def test_an_iam_user_gets_user_commands_and_no_role_commands(shared_client: TestClient) -> None:
    body = _diagnose(shared_client, IAM_USER)
    assert body["derived"]["principal_kind"] == "iam_user" and body["derived"]["user_name"] == "matt"
    commands = "\n".join(_commands(body["guidance"]))
    assert "--user-name matt" in commands
    assert "--role-name" not in commands and "ROLE_" not in commands
    assert "--policy-source-arn arn:aws:iam::341538367464:user/matt" in commands  # a user is a valid source


def test_writes_are_marked_and_no_command_has_a_redirect_placeholder(shared_client: TestClient) -> None:
    for error in (ROLE_SESSION, IAM_USER, SECRET):
        guidance = _diagnose(shared_client, error)["guidance"]
        for step in _steps(guidance):
            command = step.get("command") or ""
            assert not re.search(r"<[a-z][a-z0-9_ ,.-]*>", command), command  # `<x>` is a shell redirect
            if re.search(r"\b(put-role-policy|put-user-policy|add-iam-policy-binding)\b", command):
                assert step["changes"] is True, command
            assert set(_UNFILLED.findall(command)) == {var["name"] for var in step.get("variables", [])}


def test_a_secret_manager_denial_is_granted_on_that_secret(shared_client: TestClient) -> None:
    body = _diagnose(shared_client, SECRET)
    assert body["derived"]["resource_type"] == "secret" and body["derived"]["secret"] == "flask_secret_key"
    suggestion = body["guidance"]["role_suggestion"]
    assert suggestion["roles"][0] == "roles/secretmanager.secretAccessor"
    assert suggestion["command"].startswith(
        "gcloud secrets add-iam-policy-binding flask_secret_key --project=ums-causmos-470308 "
    )
    assert "storage" not in suggestion["command"]  # was: a Cloud Storage bucket binding for every denial


def test_every_surface_marks_state_changes_and_names_the_variables_to_set(shared_client: TestClient) -> None:
    # The Secret Manager paste names no principal: the grant needs MEMBER set, and it changes state.
    paste = SECRET
    body = _diagnose(shared_client, paste)
    guidance = body["guidance"]
    changing = [step for step in _steps(guidance) if step.get("changes")]
    assert changing, "the fix grants a role"
    with_variable = next(step for step in _steps(guidance) if step.get("variables"))
    variable = with_variable["variables"][0]["name"]

    markdown = to_markdown(guidance)
    assert markdown.count("**Changes state.**") == len(changing)
    assert f"Set first: `{variable}`" in markdown
    html = to_html(guidance)
    assert html.count('<li class="changes">') == len(changing) and f"<code>{variable}</code>" in html
    text = render_text(body, Style(enabled=False))
    grants = 1 if guidance.get("role_suggestion", {}).get("changes") else 0  # "Suggested grant [changes state]"
    assert text.count("[changes state]") == len(changing) + grants and f"set {variable} (the" in text
    page = shared_client.post("/", data={"error": paste}).text
    assert page.count('<li class="changes">') == len(changing)
    assert f'<mark class="var">&#34;${{{variable}:?' in page


def test_stand_ins_are_not_placed_but_real_mixed_case_ids_are() -> None:
    # Typed for a hidden value: a command would run against an account or project named like that.
    for key, value in (("project", "PROJECT-NAME"), ("project", "?"), ("account_id", "<accountid>"), ("bucket", "xxx")):
        assert not placeable(value, key), (key, value)
    # Secret, topic, key and dataset ids may hold capitals: those are real names, placed as stated.
    for key, value in (
        ("secret", "FLASK_SECRET_KEY"),
        ("topic", "Orders"),
        ("crypto_key", "Prod-Key"),
        ("dataset", "Sales"),
    ):
        assert placeable(value, key), (key, value)
