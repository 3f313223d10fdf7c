"""A local Azure Resource Manager for the Azure live checks: the list and get calls of Microsoft.Authorization.

It answers with JSON shaped as the ARM REST API documents it (`{"value": [...]}` pages of role and deny
assignments, role definitions with `properties.permissions`), which azure-mgmt-authorization parses with
its own models; it records each request's path and $filter so tests can assert what was asked.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PROVIDER = "/providers/Microsoft.Authorization/"


def role_definition(
    subscription: str, guid: str, name: str, actions: list[str], not_actions: list[str]
) -> dict[str, Any]:
    """A role definition as ARM returns it (GET .../roleDefinitions/{id})."""
    return {
        "id": f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": name,
            "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": [], "notDataActions": []}],
        },
    }


def role_assignment(scope: str, principal: str, definition: dict[str, Any], name: str) -> dict[str, Any]:
    """A role assignment as ARM lists it."""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "scope": scope,
            "roleDefinitionId": definition["id"],
            "principalId": principal,
            "principalType": "ServicePrincipal",
        },
    }


def deny_assignment(scope: str, name: str, actions: list[str], excluded: list[str]) -> dict[str, Any]:
    """A system deny assignment for everyone, as a managed application's looks."""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": f"System deny assignment created by managed application {name}",
            "description": "Created by the managed application",
            "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
            "scope": scope,
            "doNotApplyToChildScopes": False,
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
            "excludePrincipals": [{"id": p, "type": "ServicePrincipal"} for p in excluded],
            "isSystemProtected": True,
        },
    }


class FakeArm:
    """Serve role assignments, role definitions and deny assignments from lists the test fills."""

    def __init__(self) -> None:
        self.role_assignments: list[dict[str, Any]] = []
        self.role_definitions: list[dict[str, Any]] = []
        self.deny_assignments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str | None]] = []  # (path, $filter)
        self.authorization: list[str] = []
        self.forbidden: dict[str, Any] | None = None  # an ARM error body: every call answers 403 with it
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                path = unquote(url.path)
                query = parse_qs(url.query)
                fake.requests.append((path, query["$filter"][0] if "$filter" in query else None))
                fake.authorization.append(self.headers.get("Authorization", ""))
                self._answer(*fake.answer(path))

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> str:
        self.thread.start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        if self.forbidden is not None:
            return 403, self.forbidden
        if path.endswith(PROVIDER + "roleAssignments"):
            return 200, {"value": self.role_assignments}
        if path.endswith(PROVIDER + "denyAssignments"):
            return 200, {"value": self.deny_assignments}
        for definition in self.role_definitions:
            if path.lower() == definition["id"].lower():
                return 200, definition
        error = {"code": "RoleDefinitionDoesNotExist", "message": "The specified role definition does not exist."}
        return 404, {"error": error}
