"""A local stand-in for the Kubernetes API server's review endpoints, answering with the client's own models.

A real HTTP server on 127.0.0.1 that the `kubernetes` client reaches through its Configuration host,
as it would reach a cluster minus TLS. Each review endpoint answers a model built from the scenario
(V1SelfSubjectReview, V1SelfSubjectAccessReview, V1SelfSubjectRulesReview) and serialised by the
client's own ApiClient; every request body is recorded, so a test sees exactly what was asked.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubernetes import client

PATHS = {
    "/apis/authentication.k8s.io/v1/selfsubjectreviews": "whoami",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews": "access",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews": "rules",
}


@dataclass
class FakeKubernetes:
    """The scenario: who the caller is, whether the authorizer allows, its rules, and refused endpoints."""

    username: str = "jane@example.com"
    allowed: bool = False
    rules: list[client.V1ResourceRule] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # endpoint name -> HTTP status to answer instead
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> client.ApiClient:
        """Serve on a free port of 127.0.0.1 and return a client configured for it."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the client's create_* calls
                name = PATHS.get(self.path.split("?", 1)[0])
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                fake.requests.append((name or self.path, body))
                status, answer = fake.answer(name, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        configuration = client.Configuration()
        configuration.host = f"http://127.0.0.1:{self._server.server_address[1]}"
        return client.ApiClient(configuration)

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, name: str | None, body: dict[str, Any]) -> tuple[int, Any]:
        """Return the status and JSON of one review, from the scenario."""
        serialise: Any = client.ApiClient().sanitize_for_serialization
        if name is None:
            return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}
        if name in self.refused:
            code = self.refused[name]
            reason = "Forbidden" if code == 403 else "Unauthorized"
            return code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code}
        if name == "whoami":
            who = client.V1SelfSubjectReviewStatus(user_info=client.V1UserInfo(username=self.username))
            return 201, serialise(client.V1SelfSubjectReview(status=who))
        if name == "access":
            spec = body.get("spec") or {}
            decision = client.V1SubjectAccessReviewStatus(allowed=self.allowed, reason="fake RBAC")
            model = client.V1SelfSubjectAccessReview(spec=spec, status=decision)
            return 201, serialise(model)
        status = client.V1SubjectRulesReviewStatus(incomplete=False, non_resource_rules=[], resource_rules=self.rules)
        return 201, serialise(client.V1SelfSubjectRulesReview(spec=body.get("spec") or {}, status=status))
