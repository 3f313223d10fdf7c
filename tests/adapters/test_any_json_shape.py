"""Every reader takes whatever type a provider-shaped document puts in any field: no exception, ever.

A real Cloud Audit Log record whose `status` held an object crashed the service with a 500
(TypeError: unhashable type: 'dict', issue 14). Hypothesis builds Google, AWS, CloudTrail and audit
documents with the right keys and arbitrary JSON values (objects, lists, numbers, nulls) in each.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.registry import diagnose

_SCALARS = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=40)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Values that look like what readers expect, so deeper branches run too.
_PLAUSIBLE = st.sampled_from(
    ["PERMISSION_DENIED", "IAM_PERMISSION_DENIED", "AccessDenied", 403, 7, "storage.objects.get",
     "googleapis.com", "type.googleapis.com/google.rpc.ErrorInfo", "s3.amazonaws.com", "Status", "Forbidden",
     "Unauthorized", 401, "v1", 'pods is forbidden: User "jane" cannot list resource "pods" in API group ""',
     "AuthorizationFailed", "DeploymentFailed", "ForbiddenByRbac", "Forbidden", "Microsoft.Storage/storageAccounts/read",
     '{"error": {"code": "AuthorizationFailed", "message": "x"}}', "AADSTS7000215: Invalid client secret provided."]
)  # fmt: skip
_VALUE = _JSON | _PLAUSIBLE


def _google(value: Any) -> Any:
    return st.fixed_dictionaries(
        {
            "error": st.fixed_dictionaries(
                {
                    "code": value,
                    "message": value,
                    "status": value,
                    "errors": value | st.lists(st.fixed_dictionaries({"reason": value, "message": value}), max_size=2),
                    "details": value
                    | st.lists(
                        st.fixed_dictionaries({"@type": value, "reason": value, "domain": value, "metadata": value}),
                        max_size=2,
                    ),
                }
            )
        }
    )


def _audit(value: Any) -> Any:
    return st.fixed_dictionaries(
        {
            "protoPayload": st.fixed_dictionaries(
                {
                    "@type": st.just("type.googleapis.com/google.cloud.audit.AuditLog") | value,
                    "status": value,
                    "authenticationInfo": value,
                    "authorizationInfo": value
                    | st.lists(
                        st.fixed_dictionaries({"permission": value, "resource": value, "granted": value}), max_size=2
                    ),
                    "serviceName": value,
                    "methodName": value,
                    "resourceName": value,
                }
            ),
            "severity": value,
        }
    )


def _aws(value: Any) -> Any:
    return st.fixed_dictionaries(
        {
            "__type": value,
            "message": value,
            "Message": value,
            "Error": st.fixed_dictionaries({"Code": value, "Message": value}),
        }
    )


def _cloudtrail(value: Any) -> Any:
    return st.fixed_dictionaries(
        {
            "eventVersion": value,
            "errorCode": value,
            "errorMessage": value,
            "userIdentity": value,
            "eventSource": value,
            "eventName": value,
            "requestID": value,
        }
    )


def _kubernetes_status(value: Any) -> Any:
    # metav1.Status as the API server returns it; the kind and apiVersion kept right so the reader goes deep.
    return st.fixed_dictionaries(
        {
            "kind": st.just("Status") | value,
            "apiVersion": st.just("v1") | value,
            "metadata": value,
            "status": value,
            "message": value,
            "reason": value,
            "details": value
            | st.fixed_dictionaries({"name": value, "group": value, "kind": value, "causes": value, "uid": value}),
            "code": value,
        }
    )


def _azure(value: Any) -> Any:
    # ARM / Key Vault / deployment errors: code, message, details (nested errors), innererror, additionalInfo
    arm_error = st.fixed_dictionaries(
        {
            "code": value,
            "message": value,
            "target": value,
            "details": value | st.lists(st.fixed_dictionaries({"code": value, "message": value, "details": value})),
            "innererror": value | st.fixed_dictionaries({"code": value}),
            "additionalInfo": value | st.lists(st.fixed_dictionaries({"type": value, "info": value}), max_size=2),
        }
    )
    activity_log = st.fixed_dictionaries(
        {
            "caller": value,
            "correlationId": value,
            "operationName": value | st.fixed_dictionaries({"value": value}),
            "resourceId": value,
            "status": value,
            "properties": value | st.fixed_dictionaries({"statusCode": value, "statusMessage": value}),
        }
    )
    odata = st.fixed_dictionaries({"odata.error": st.fixed_dictionaries({"code": value, "message": value})})
    return st.fixed_dictionaries({"error": arm_error}) | arm_error | activity_log | odata


@settings(max_examples=300, deadline=None)
@given(
    document=_google(_VALUE)
    | _audit(_VALUE)
    | _aws(_VALUE)
    | _cloudtrail(_VALUE)
    | _kubernetes_status(_VALUE)
    | st.fixed_dictionaries({"items": st.lists(_kubernetes_status(_VALUE), max_size=2)})
    | _azure(_VALUE)
    | st.lists(_audit(_VALUE), max_size=2)
)
def test_any_json_values_in_provider_shaped_documents_never_raise(document: Any) -> None:
    result = diagnose(document)
    assert result.category in ("authentication", "authorization", "other")


def test_an_audit_record_whose_status_is_an_object_is_read() -> None:
    # The shape that crashed: `status` holds an object where a string was expected.
    record = {"error": {"code": 403, "status": {"code": 7}, "message": "Permission denied", "details": []}}
    assert diagnose(record).category in ("authentication", "authorization", "other")


def test_an_azure_deployment_error_is_read_through_its_wrappers() -> None:
    # DeploymentFailed > Forbidden > a JSON string holding the real AuthorizationFailed error.
    inner = {
        "error": {
            "code": "AuthorizationFailed",
            "message": "The client 'x' with object id 'y' does not have"
            " authorization to perform action 'Microsoft.Network/virtualNetworks/write' over scope"
            " '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg'",
        }
    }
    document = {"code": "DeploymentFailed", "message": "At least one resource deployment operation failed.",
                "details": [{"code": "Forbidden", "message": json.dumps(inner)}]}  # fmt: skip
    result = diagnose(document)
    assert (result.provider, result.reason) == ("azure", "azure.authz.rbac_denied")
    assert result.facts["action"] == "Microsoft.Network/virtualNetworks/write"
    assert result.facts["resource_group"] == "rg"
