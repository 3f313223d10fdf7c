"""A local gRPC stand-in for Google's IAM, IAM v2, Resource Manager and Policy Troubleshooter APIs.

A real grpc server on 127.0.0.1 speaking the client libraries' own request and response messages
(proto-plus serialise/deserialise), answering from a scenario the test writes. The code under test
reaches it through WHYDENIED_GCP_EMULATOR_HOST, as it would reach Google, minus TLS and tokens.
Pages are capped at `page_cap` items, so the clients' paging is exercised too; the list of deny
policies returns metadata only, as Google's does.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud import iam_admin_v1, iam_v2, policytroubleshooter_iam_v3, resourcemanager_v3


@dataclass
class FakeGoogle:
    """The scenario: what each API answers, and which methods answer PERMISSION_DENIED instead."""

    roles: list[iam_admin_v1.Role] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # "projects/p" -> "folders/1" -> "organizations/2"
    deny_policies: dict[str, list[iam_v2.Policy]] = field(default_factory=dict)  # attachment point -> policies
    troubleshooter: policytroubleshooter_iam_v3.TroubleshootIamPolicyResponse | None = None
    denied: dict[str, str] = field(default_factory=dict)  # method -> the permission its denial names
    page_cap: int = 2
    calls: list[tuple[str, Any]] = field(default_factory=list)
    _server: Any = None
    _address: str = ""

    def start(self) -> str:
        """Serve on a free port of 127.0.0.1 (once) and return host:port."""
        if self._server is not None:
            return self._address
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        for service, methods in self._services().items():
            handlers = {
                name: grpc.unary_unary_rpc_method_handler(
                    self._answer(name, handler),
                    request_deserializer=request.deserialize,
                    response_serializer=response.serialize,
                )
                for name, (request, response, handler) in methods.items()
            }
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server, self._address = server, f"127.0.0.1:{port}"
        return self._address

    def stop(self) -> None:
        """Stop serving at once."""
        if self._server is not None:
            self._server.stop(grace=None)

    def called(self, method: str) -> list[Any]:
        """Return the requests one method received, in order."""
        return [request for name, request in self.calls if name == method]

    def _answer(self, name: str, handler: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
        def answer(request: Any, context: grpc.ServicerContext) -> Any:
            self.calls.append((name, request))
            if name in self.denied:
                # Google's wording for a missing permission, as an IAM_PERMISSION_DENIED status carries it.
                context.abort(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"Permission '{self.denied[name]}' denied on resource (or it may not exist).",
                )
            return handler(request)

        return answer

    def _services(self) -> dict[str, dict[str, tuple[Any, Any, Callable[[Any], Any]]]]:
        admin, v2, rm, pt = iam_admin_v1, iam_v2, resourcemanager_v3, policytroubleshooter_iam_v3
        return {
            "google.iam.admin.v1.IAM": {
                "QueryGrantableRoles": (
                    admin.QueryGrantableRolesRequest,
                    admin.QueryGrantableRolesResponse,
                    self._grantable,
                ),
                "ListRoles": (admin.ListRolesRequest, admin.ListRolesResponse, self._list_roles),
            },
            "google.iam.v2.Policies": {
                "ListPolicies": (v2.ListPoliciesRequest, v2.ListPoliciesResponse, self._list_policies),
                "GetPolicy": (v2.GetPolicyRequest, v2.Policy, self._get_policy),
            },
            "google.cloud.resourcemanager.v3.Projects": {
                "GetProject": (rm.GetProjectRequest, rm.Project, self._get_project),
            },
            "google.cloud.resourcemanager.v3.Folders": {
                "GetFolder": (rm.GetFolderRequest, rm.Folder, self._get_folder),
            },
            "google.cloud.policytroubleshooter.iam.v3.PolicyTroubleshooter": {
                "TroubleshootIamPolicy": (
                    pt.TroubleshootIamPolicyRequest,
                    pt.TroubleshootIamPolicyResponse,
                    self._troubleshoot,
                ),
            },
        }

    def _page(self, items: list[Any], request: Any) -> tuple[list[Any], str]:
        start = int(request.page_token or 0)
        size = min(request.page_size or 300, self.page_cap)
        following = start + size
        return items[start:following], str(following) if following < len(items) else ""

    def _grantable(self, request: Any) -> Any:
        page, token = self._page(self.roles, request)
        return iam_admin_v1.QueryGrantableRolesResponse(roles=page, next_page_token=token)

    def _list_roles(self, request: Any) -> Any:
        page, token = self._page(self.roles, request)
        return iam_admin_v1.ListRolesResponse(roles=page, next_page_token=token)

    def _list_policies(self, request: Any) -> Any:
        point = _attachment_point(request.parent)
        listed = [iam_v2.Policy(name=p.name, display_name=p.display_name) for p in self.deny_policies.get(point, [])]
        return iam_v2.ListPoliciesResponse(policies=listed)

    def _get_policy(self, request: Any) -> Any:
        for policies in self.deny_policies.values():
            for policy in policies:
                if policy.name == request.name:
                    return policy
        raise KeyError(request.name)

    def _get_project(self, request: Any) -> Any:
        return resourcemanager_v3.Project(name=request.name, parent=self.parents.get(request.name, ""))

    def _get_folder(self, request: Any) -> Any:
        return resourcemanager_v3.Folder(name=request.name, parent=self.parents.get(request.name, ""))

    def _troubleshoot(self, request: Any) -> Any:
        return self.troubleshooter or policytroubleshooter_iam_v3.TroubleshootIamPolicyResponse()


def _attachment_point(parent: str) -> str:
    """policies/cloudresourcemanager.googleapis.com%2Fprojects%2Fp/denypolicies -> projects/p"""
    encoded = parent.removeprefix("policies/").removesuffix("/denypolicies")
    return encoded.replace("%2F", "/").removeprefix("cloudresourcemanager.googleapis.com/")


def role(name: str, permissions: list[str], stage: str = "GA") -> iam_admin_v1.Role:
    """A role as the IAM API returns it in the FULL view."""
    return iam_admin_v1.Role(
        name=name, title=name, included_permissions=permissions, stage=getattr(iam_admin_v1.Role.RoleLaunchStage, stage)
    )


def deny_policy(point: str, policy_id: str, *rules: dict[str, Any]) -> iam_v2.Policy:
    """A deny policy attached to `point`, named as Google names it, with the given rules."""
    encoded = f"cloudresourcemanager.googleapis.com/{point}".replace("/", "%2F")
    return iam_v2.Policy(
        name=f"policies/{encoded}/denypolicies/{policy_id}",
        display_name=policy_id,
        rules=[iam_v2.PolicyRule(deny_rule=iam_v2.DenyRule(**rule)) for rule in rules],
    )
