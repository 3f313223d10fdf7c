"""Checks no CLI does: is this command right for this case, safe, and filled in? Pure Python, fast.

Each check takes one rendered command with its diagnosis (facts, derived values, entry, step) and
returns problems, each under one of the issue's headings:
- `placeholder`: a `<name>` in an executable command (a redirect when pasted), a free-text one, or a
  `<fact>` left in quoted text;
- `known_placeholder`: a value still to fill in (`<name>` or `"${NAME:?...}"`) for a fact the payload
  stated or one derivable from it (this module derives on its own, more than the renderer does);
- `service`: a resource-policy or grant command for another service than the one that denied;
- `gcp_role`: a granted role that does not hold the denied permission, or an IAM-admin role when a
  narrower role in the reviewed table holds it;
- `principal`: a role-only command for an IAM user, a user-only one for a role session;
- `credential_argv` / `credential_host`: a credential in a process's argv, or sent to a host the
  paste did not name;
- `unsafe`: a whole-policy write not preceded in its block by a read of that policy and a merge, or
  in a step not marked `changes: true`; a fixed inline policy name;
- `unmarked_change`: any state-changing command in a step not marked `changes: true`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from api.render import placeable
from tests.commands import shell
from tests.commands.corpus import Rendered

DATA = Path(__file__).resolve().parents[2] / "content" / "data"
BUILTINS: Final = frozenset({"printf", "echo", "read", "export", "local", "declare", "test", "[", "unset", "set", ":",
                             "cd", "eval", "return", "exit", "break", "continue", "shift", "true", "false"})  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One failed check on one rendered command."""

    check: str
    detail: str


# --- what the facts tell, derived independently of the renderer -------------------------------------

_ARN = re.compile(r"^arn:(aws[a-z-]{0,10}):([a-z0-9-]{1,40}):([a-z0-9-]{0,30}):(\d{12})?:(.{1,2048})$")
_GCP_SEGMENT = re.compile(
    r"(projects|locations|keyRings|cryptoKeys|secrets|topics|subscriptions|serviceAccounts|repositories|datasets|buckets|services|functions|instances|zones|regions)/([^/\s]{1,256})"
)
_EMAIL = re.compile(r"^(?:(user|serviceAccount|group|domain):)?([^\s:@]{1,128}@[A-Za-z0-9.-]{1,253})$")


def derivable(facts: Mapping[str, Any]) -> dict[str, str]:
    """Return every value a command could take from the stated facts (names as in `canonical`)."""
    out: dict[str, str] = {}
    for key, value in facts.items():
        if isinstance(value, str | int) and str(value) and shell.placeable_text(str(value)):
            out[key] = str(value)
    principal = str(facts.get("principal", ""))
    if match := _ARN.match(principal):
        _partition, service, _region, account, rest = match.groups()
        if account:
            out.setdefault("account_id", account)  # the caller's account (SCPs apply there), not the resource's
        if service == "sts" and rest.startswith("assumed-role/"):
            role = rest.split("/")[1]
            out["role_name"], out["role_arn"] = role, f"arn:{match.group(1)}:iam::{account}:role/{role}"
        elif service == "iam" and rest.startswith("role/"):
            out["role_name"], out["role_arn"] = rest.rsplit("/", 1)[-1], principal
        elif service == "iam" and rest.startswith("user/"):
            out["user_name"] = rest.rsplit("/", 1)[-1]
    elif match := _EMAIL.match(principal):
        kind, email = match.groups()
        out["principal_email"] = email
        default = "serviceAccount" if email.endswith(".gserviceaccount.com") else "user"
        out["member"] = f"{kind or default}:{email}"
    resource = str(facts.get("resource", ""))
    for key, value in _from_resource(resource, str(facts.get("permission", ""))).items():
        out.setdefault(key, value)
    action = str(facts.get("action", ""))
    if ":" in action:
        out.setdefault("operation", action.split(":", 1)[1])
    service = str(facts.get("service", ""))
    if (
        resource
        and service.endswith(".googleapis.com")
        and resource.startswith(("projects/", "organizations/", "folders/"))
    ):
        out.setdefault("full_resource_name", f"//{service}/{resource}")
    return {key: value for key, value in out.items() if usable(value)}


def usable(value: str) -> bool:
    """Tell whether a value is one a command could take: not a wildcard, a mask or a placeholder."""
    return bool(value) and not re.search(r"[*<>]|\.\.\.", value) and not re.fullmatch(r"[xX#]{3,}", value)


def _from_resource(resource: str, permission: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if match := _ARN.match(resource):
        partition, service, region, account, rest = match.groups()
        if account:
            out["resource_account"] = account
        if region:
            out["region"] = region
        if service == "s3" and not region:
            out["bucket"] = rest.split("/", 1)[0]
            if "/" in rest:
                out["object_key"] = rest.split("/", 1)[1]
        elif service == "kms" and rest.startswith("key/"):
            out["kms_key"] = resource
        elif service == "secretsmanager" and rest.startswith("secret:"):
            out["secret"] = resource
        elif service == "lambda" and rest.startswith("function:"):
            out["function"] = rest.split(":")[1]
        elif service == "sqs":
            out["queue_url"] = f"https://sqs.{region}.amazonaws.com/{account}/{rest}"
        elif service == "sns":
            out["topic_arn"] = resource
        elif service == "ecr" and rest.startswith("repository/"):
            out["repository"] = rest.split("/", 1)[1]
        elif service == "iam" and rest.startswith("role/"):
            out["resource_role_name"] = rest.rsplit("/", 1)[-1]
        elif service == "dynamodb" and rest.startswith("table/"):
            out["table"] = rest.split("/")[1]
        del partition
        return out
    names = dict(_GCP_SEGMENT.findall(resource))
    renames = {"projects": "project", "locations": "location", "keyRings": "keyring", "cryptoKeys": "key",
               "secrets": "secret", "topics": "topic", "subscriptions": "subscription", "datasets": "dataset",
               "serviceAccounts": "service_account", "repositories": "repository", "buckets": "bucket",
               "services": "service_name", "functions": "function", "instances": "instance", "zones": "zone",
               "regions": "region"}  # fmt: skip
    for segment, value in names.items():
        if value not in ("_", "-"):
            out[renames[segment]] = value
    if resource.startswith("gs://"):
        out["bucket"] = resource[5:].split("/", 1)[0]
    elif permission.startswith("storage.") and re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,220}(/.*)?", resource):
        out["bucket"] = resource.split("/", 1)[0]
    if resource.startswith("//"):
        out["full_resource_name"] = resource
    return out


# Names of values to fill in (`<name>`, `${NAME:?}`) that mean a derivable value under another name.
ALIASES: Final[dict[str, str]] = {
    "project_id": "project", "project_name": "project",
    "accountid": "account_id", "account": "account_id", "account_number": "account_id", "id": "account_id",
    "sa_email": "service_account", "service_account_email": "service_account", "sa": "service_account",
    "key_id": "kms_key", "secret_id": "secret", "function_name": "function", "username": "user_name",
    "aws_region": "region", "resource_arn": "resource", "bucket_name": "bucket", "topic_name": "topic",
    "uri": "url", "vpce_id": "vpce_id", "encoded": "encoded_message",
}  # fmt: skip
PROVIDER_ALIASES: Final[dict[tuple[str, str], str]] = {("aws", "key"): "object_key", ("gcp", "key"): "key"}


def canonical(name: str, provider: str) -> str:
    """Return the derivable-value name a placeholder or variable name stands for."""
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return PROVIDER_ALIASES.get((provider, key)) or ALIASES.get(key, key)


# --- placeholders ----------------------------------------------------------------------------------


def placeholder_problems(item: Rendered, keys: frozenset[str], known: Mapping[str, str]) -> Iterator[Problem]:
    """`<name>` placeholders, and values to fill in for facts that are stated or derivable."""
    provider = item.provider
    block = parsed(item.command)
    for placeholder in shell.angle_placeholders(block, pasted_values(item)):
        fact = placeholder.name in keys
        if placeholder.unquoted:
            kind = "fact" if fact else "free-text"
            yield Problem("placeholder", f"<{placeholder.name}> ({kind}; a redirect when pasted)")
        elif fact:
            yield Problem("placeholder", f"<{placeholder.name}> left in quoted text")
        if (fact or placeholder.unquoted) and canonical(placeholder.name, provider) in known:
            yield Problem("known_placeholder", f"<{placeholder.name}> though the facts give it")
    for name in shell.required_variables(item.command):
        if canonical(name, provider) in known:
            yield Problem("known_placeholder", f"${{{name}:?}} though the facts give it")


def unfilled(item: Rendered, keys: frozenset[str]) -> bool:
    """Tell whether a command still has any value to fill in (the issue's ≤ 15 % measure)."""
    if item.missing or shell.required_variables(item.command):
        return True
    return any(
        p.unquoted or p.name in keys for p in shell.angle_placeholders(parsed(item.command), pasted_values(item))
    )


# --- the service that denied -----------------------------------------------------------------------

# (CLI service, operation) -> the resource policy it reads or writes, by the AWS service it guards.
# "*" guards every service (a VPC endpoint policy); iam update-assume-role-policy is a role's trust
# policy, which decides sts:AssumeRole.
AWS_POLICY_OPS: Final[dict[tuple[str, str], str]] = {
    ("s3api", "get-bucket-policy"): "s3", ("s3api", "put-bucket-policy"): "s3", ("s3api", "delete-bucket-policy"): "s3",
    ("s3api", "get-bucket-policy-status"): "s3", ("s3api", "get-bucket-acl"): "s3", ("s3api", "put-bucket-acl"): "s3",
    ("s3control", "get-access-point-policy"): "s3", ("s3control", "put-access-point-policy"): "s3",
    ("kms", "get-key-policy"): "kms", ("kms", "put-key-policy"): "kms", ("kms", "create-grant"): "kms",
    ("kms", "list-grants"): "kms",
    ("secretsmanager", "get-resource-policy"): "secretsmanager",
    ("secretsmanager", "put-resource-policy"): "secretsmanager",
    ("secretsmanager", "delete-resource-policy"): "secretsmanager",
    ("lambda", "get-policy"): "lambda", ("lambda", "add-permission"): "lambda", ("lambda", "remove-permission"): "lambda",
    ("lambda", "get-layer-version-policy"): "lambda", ("lambda", "add-layer-version-permission"): "lambda",
    ("sqs", "get-queue-attributes"): "sqs", ("sqs", "set-queue-attributes"): "sqs", ("sqs", "add-permission"): "sqs",
    ("sns", "get-topic-attributes"): "sns", ("sns", "set-topic-attributes"): "sns", ("sns", "add-permission"): "sns",
    ("ecr", "get-repository-policy"): "ecr", ("ecr", "set-repository-policy"): "ecr",
    ("ecr-public", "get-repository-policy"): "ecr-public", ("ecr-public", "set-repository-policy"): "ecr-public",
    ("iam", "update-assume-role-policy"): "sts",
    ("logs", "put-resource-policy"): "logs", ("logs", "describe-resource-policies"): "logs",
    ("events", "put-permission"): "events", ("glue", "put-resource-policy"): "glue", ("glue", "get-resource-policy"): "glue",
    ("dynamodb", "put-resource-policy"): "dynamodb", ("dynamodb", "get-resource-policy"): "dynamodb",
    ("kinesis", "put-resource-policy"): "kinesis", ("kinesis", "get-resource-policy"): "kinesis",
    ("backup", "put-backup-vault-access-policy"): "backup", ("backup", "get-backup-vault-access-policy"): "backup",
    ("ec2", "describe-vpc-endpoints"): "*", ("ec2", "modify-vpc-endpoint"): "*",
}  # fmt: skip
# The denied AWS service (the action's prefix) -> the resource policies that can decide it. A KMS key
# policy also decides reads of data encrypted with that key (SSE-KMS objects, secrets, queues, topics).
AWS_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "s3": frozenset({"s3", "kms"}), "secretsmanager": frozenset({"secretsmanager", "kms"}),
    "sqs": frozenset({"sqs", "kms"}), "sns": frozenset({"sns", "kms"}), "dynamodb": frozenset({"dynamodb", "kms"}),
    "logs": frozenset({"logs", "kms"}),
}  # fmt: skip

# gcloud command groups whose add-/remove-iam-policy-binding, get-/set-iam-policy act on one kind of
# resource, by the permission prefix they guard. The resource hierarchy (projects, folders,
# organizations) can be granted any role, so it fits every permission.
GCP_GROUPS: Final[dict[str, frozenset[tuple[str, ...]]]] = {
    "storage": frozenset({("storage", "buckets"), ("storage", "objects"), ("storage", "managed-folders")}),
    "secretmanager": frozenset({("secrets",)}),
    "pubsub": frozenset({("pubsub", "topics"), ("pubsub", "subscriptions"), ("pubsub", "schemas"), ("pubsub", "snapshots")}),
    "cloudkms": frozenset({("kms", "keys"), ("kms", "keyrings"), ("kms", "ekm-connections"), ("kms", "import-jobs")}),
    "iam": frozenset({("iam", "service-accounts")}),
    "run": frozenset({("run", "services"), ("run", "jobs")}),
    "cloudfunctions": frozenset({("functions",)}),
    "artifactregistry": frozenset({("artifacts", "repositories")}),
    "bigquery": frozenset({("bq",), ("bigquery", "datasets"), ("bigquery", "tables")}),
    "spanner": frozenset({("spanner", "instances"), ("spanner", "databases")}),
    "billing": frozenset({("billing", "accounts")}),
    "iap": frozenset({("iap", "web"), ("iap", "tcp"), ("iap", "settings")}),
    "compute": frozenset({("compute", "instances"), ("compute", "disks"), ("compute", "images"),
                          ("compute", "snapshots"), ("compute", "subnets"), ("compute", "instance-templates")}),
    "healthcare": frozenset({("healthcare", "datasets"), ("healthcare", "fhir-stores")}),
    "dataproc": frozenset({("dataproc", "clusters"), ("dataproc", "jobs")}),
}  # fmt: skip
GCP_HIERARCHY: Final = frozenset({("projects",), ("resource-manager", "folders"), ("organizations",)})
GCP_RESOURCE_GROUPS: Final = frozenset(group for groups in GCP_GROUPS.values() for group in groups)
IAM_VERBS: Final = ("add-iam-policy-binding", "remove-iam-policy-binding", "set-iam-policy", "get-iam-policy")
RELEASE_TRACKS: Final = frozenset({"alpha", "beta", "preview"})
GCP_SERVICE_PREFIX: Final = {"cloudresourcemanager": "resourcemanager"}


def gcloud_iam_call(argv: list[str]) -> tuple[tuple[str, ...], str] | None:
    """Return (command group, IAM verb) of a gcloud or bq IAM-policy call, else None."""
    if argv[0] == "bq":
        return (("bq",), argv[1]) if len(argv) > 1 and argv[1] in IAM_VERBS else None
    words = [w for w in argv[1:] if not w.startswith("-")]
    words = words[1:] if words and words[0] in RELEASE_TRACKS else words
    for index, word in enumerate(words):
        if word in IAM_VERBS:
            return tuple(words[:index]), word
    return None


def denied_service(item: Rendered) -> str | None:
    """Return the denied service's prefix: AWS action `kms:Decrypt` -> kms, GCP `secretmanager.x.y`."""
    action, permission = str(item.facts.get("action", "")), str(item.facts.get("permission", ""))
    if item.provider == "aws" and ":" in action:
        return action.split(":", 1)[0].lower()
    if item.provider == "gcp":
        if "." in permission:
            return permission.split(".", 1)[0]
        service = str(item.facts.get("service", ""))
        if service.endswith(".googleapis.com"):
            prefix = service.removesuffix(".googleapis.com")
            return GCP_SERVICE_PREFIX.get(prefix, prefix)
    return None


def service_problems(item: Rendered) -> Iterator[Problem]:
    """Resource-policy reads and edits, and IAM grants, must act on the service that denied."""
    denied = denied_service(item)
    if denied is None:
        return
    block = analysed(item)
    if item.provider == "aws":
        allowed = AWS_ALLOWED.get(denied, frozenset({denied}))
        for argv in block.invocations("aws"):
            words = aws_words(argv)
            guards = AWS_POLICY_OPS.get(words) if words else None
            if words and guards is not None and guards != "*" and guards not in allowed:
                yield Problem("service", f"aws {' '.join(words)} ({guards} policy) for a {denied}:* denial")
    elif item.provider == "gcp":
        allowed_groups = GCP_GROUPS.get(denied, frozenset()) | GCP_HIERARCHY
        for argv in [*block.invocations("gcloud"), *block.invocations("bq")]:
            call = gcloud_iam_call(argv)
            if call and call[0] in GCP_RESOURCE_GROUPS and call[0] not in allowed_groups:
                yield Problem("service", f"{argv[0]} {' '.join(call[0])} {call[1]} for a {denied}.* denial")


def aws_words(argv: list[str]) -> tuple[str, str] | None:
    """Return (service, operation) of an aws call, skipping global options before them."""
    words: list[str] = []
    index = 1
    while index < len(argv) and len(words) < 2:
        word = argv[index]
        if word.startswith("--"):
            index += 1 if "=" in word or word in AWS_GLOBAL_FLAGS else 2
            continue
        words.append(word)
        index += 1
    return (words[0], words[1]) if len(words) == 2 else None


AWS_GLOBAL_FLAGS: Final = frozenset(
    {"--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager"}
)


# --- GCP roles -------------------------------------------------------------------------------------

BROAD_ROLES: Final = frozenset({
    "roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin",
    "roles/resourcemanager.organizationAdmin", "roles/resourcemanager.folderAdmin", "roles/iam.roleAdmin",
})  # fmt: skip


@cache
def role_evidence() -> dict[str, frozenset[str]]:
    """Role -> every permission it holds (content/data/gcp_predefined_roles.json.gz, Google's definitions)."""
    raw = json.loads(gzip.decompress((DATA / "gcp_predefined_roles.json.gz").read_bytes()))["roles"]
    return {role: frozenset(body["permissions"]) for role, body in raw.items()}


@cache
def role_table() -> dict[str, tuple[str, ...]]:
    """Permission -> the smallest roles holding it (content/data/gcp_permission_roles.json)."""
    raw = json.loads((DATA / "gcp_permission_roles.json").read_text(encoding="utf-8"))["permissions"]
    return {permission: tuple(body["roles"]) for permission, body in raw.items()}


def iam_admin(role: str) -> bool:
    """Tell whether a role can change IAM policy (by name, or by holding a setIamPolicy permission)."""
    return role in BROAD_ROLES or any(p.endswith(".setIamPolicy") for p in role_evidence().get(role, ()))


def gcp_role_problems(item: Rendered) -> Iterator[Problem]:
    """Every `--role=roles/X` granted must hold the denied permission and not be IAM-admin needlessly."""
    permission = str(item.facts.get("permission", ""))
    if item.provider != "gcp" or "." not in permission:
        return
    table, evidence = role_table(), role_evidence()
    narrower = [r for r in table.get(permission, ()) if not iam_admin(r)]
    block = analysed(item)
    for argv in [*block.invocations("gcloud"), *block.invocations("bq")]:
        call = gcloud_iam_call(argv)
        if call is None or call[1] not in ("add-iam-policy-binding", "set-iam-policy"):
            continue
        for role in option_values(argv, "--role"):
            if not role.startswith("roles/"):
                continue
            if role in evidence and permission not in evidence[role] and permission in table:
                yield Problem("gcp_role", f"{role} does not hold {permission}")
            elif role not in evidence and permission in table:
                yield Problem("gcp_role", f"{role} is not shown to hold {permission} (table: {table[permission][0]})")
            if iam_admin(role) and narrower:
                yield Problem("gcp_role", f"{role} can set IAM policy; {narrower[0]} holds {permission}")


# --- Kubernetes rules ------------------------------------------------------------------------------

# The verbs `kubectl create role` accepts for resources (its validResourceVerbs) and for non-resource URLs.
K8S_RULE_VERBS: Final = frozenset({
    "*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use", "bind",
    "escalate", "impersonate", "proxy", "post", "put", "head", "options",
})  # fmt: skip
KUBECTL_WRITES: Final = frozenset({
    "create", "apply", "patch", "delete", "edit", "replace", "label", "annotate", "set", "scale", "taint",
    "cordon", "uncordon", "drain", "rollout", "expose", "run", "autoscale",
})  # fmt: skip


def kubernetes_problems(item: Rendered) -> Iterator[Problem]:
    """A suggested Role or ClusterRole, and an `auth can-i` question, name the denied verb and resource."""
    if item.provider != "kubernetes":
        return
    verb, resource = str(item.facts.get("action", "")), str(item.facts.get("resource", ""))
    for simple in analysed(item).commands:
        argv = simple.argv
        if not argv or argv[0] != "kubectl":
            continue
        words = [w for w in argv[1:] if not w.startswith("-")]
        if words[:2] in (["create", "role"], ["create", "clusterrole"]):
            verbs = [v for value in option_values(argv, "--verb") for v in value.split(",")]
            resources = [r for value in option_values(argv, "--resource") for r in value.split(",")]
            resources += option_values(argv, "--non-resource-url")
            if invalid := [v for v in verbs if v not in K8S_RULE_VERBS]:
                yield Problem("kubernetes_rule", f"kubectl create {words[1]} --verb={invalid[0]} is not a verb")
            if verb and verbs and verb not in verbs:
                yield Problem("kubernetes_rule", f"a rule for --verb={','.join(verbs)} after a denied {verb}")
            if resource and resources and resource not in resources:
                yield Problem("kubernetes_rule", f"a rule for {','.join(resources)} after a denied {resource}")
        elif words[:2] == ["auth", "can-i"] and "--list" not in argv and len(words) >= 4 and verb:
            subresource = option_values(argv, "--subresource")
            asked = words[3] + (f"/{subresource[0]}" if subresource else "")
            if words[2] != verb or (resource and not resource.startswith("/") and asked != resource):
                yield Problem(
                    "kubernetes_rule", f"kubectl auth can-i {words[2]} {asked} after a denied {verb} {resource}"
                )


def option_values(argv: list[str], option: str) -> list[str]:
    """Return every value of `--option=value` or `--option value` in an argv."""
    values = []
    for index, word in enumerate(argv):
        if word.startswith(option + "="):
            values.append(word[len(option) + 1 :])
        elif word == option and index + 1 < len(argv):
            values.append(argv[index + 1])
    return values


# --- principal kind --------------------------------------------------------------------------------

ROLE_ONLY_OPS: Final = frozenset({
    "put-role-policy", "update-assume-role-policy", "list-attached-role-policies", "list-role-policies",
    "get-role-policy", "attach-role-policy", "detach-role-policy", "delete-role-policy", "get-role",
    "put-role-permissions-boundary", "list-role-tags", "update-role",
})  # fmt: skip
USER_ONLY_OPS: Final = frozenset({
    "put-user-policy", "list-attached-user-policies", "list-user-policies", "get-user-policy", "attach-user-policy",
    "detach-user-policy", "delete-user-policy", "list-groups-for-user", "put-user-permissions-boundary", "get-user",
})  # fmt: skip


def principal_kind(facts: Mapping[str, Any]) -> str | None:
    """Return iam_user, role_session, role, root or federated for an AWS principal ARN."""
    principal = str(facts.get("principal", ""))
    match = _ARN.match(principal)
    if not match:
        return None
    service, rest = match.group(2), match.group(5)
    if service == "sts":
        return "role_session" if rest.startswith("assumed-role/") else "federated"
    if rest.startswith("user/"):
        return "iam_user"
    if rest.startswith("role/"):
        return "role"
    return "root" if rest == "root" else None


def principal_problems(item: Rendered, known: Mapping[str, str]) -> Iterator[Problem]:
    """Role-only commands are not for an IAM user (except on the role being assumed); user-only ones
    are not for a role session."""
    kind = principal_kind(item.facts)
    if item.provider != "aws" or kind not in ("iam_user", "role_session", "role"):
        return
    block = analysed(item)
    variables = assigned(block)
    target_role = known.get("resource_role_name")
    for argv in block.invocations("aws"):
        words = aws_words(argv)
        if not words or words[0] != "iam":
            continue
        operation = words[1]
        role_names = [resolve(v, variables) for v in option_values(argv, "--role-name")]
        # the role being assumed (named by the resource, or left to fill in as that role) fits any principal
        targets = {target_role, shell.dummy("RESOURCE_ROLE_NAME")}
        on_target = bool(role_names) and all(
            name in targets or re.fullmatch(r"\$\{RESOURCE_ROLE_NAME(?::[?-][^}]*)?\}|\$RESOURCE_ROLE_NAME", name)
            for name in role_names
        )
        role_only = (operation in ROLE_ONLY_OPS or role_names) and operation != "create-role"
        if kind == "iam_user" and role_only and not on_target:  # the role being assumed is fine
            yield Problem("principal", f"aws iam {operation} (a role's) for an IAM user")
        if kind != "iam_user" and (operation in USER_ONLY_OPS or option_values(argv, "--user-name")):
            yield Problem("principal", f"aws iam {operation} (a user's) for a {kind.replace('_', ' ')}")
        for source in option_values(argv, "--policy-source-arn"):
            value = resolve(source, variables)
            if kind == "iam_user" and (":role/" in value or value in ("<role_arn>", "${ROLE_ARN")):
                yield Problem("principal", "simulate-principal-policy on a role for an IAM user")
            if kind != "iam_user" and (":user/" in value or value == "<user_arn>"):
                yield Problem("principal", f"simulate-principal-policy on a user for a {kind.replace('_', ' ')}")


def assigned(block: shell.Block) -> dict[str, str]:
    """Plain `NAME=value` assignments in a block (the last one wins)."""
    found: dict[str, str] = {}
    for command in block.commands:
        if not command.argv:
            found.update(command.assignments)
    return found


def resolve(value: str, variables: Mapping[str, str]) -> str:
    """Replace a whole-word `$NAME`/`${NAME}` by its assigned value, once."""
    match = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]{0,63})\}?", value)
    return variables.get(match.group(1), value) if match else value


# --- credentials -----------------------------------------------------------------------------------

_CREDENTIAL_HEADER = re.compile(
    r"^\s{0,8}(authorization|proxy-authorization|x-api-key|api-key|apikey|x-goog-api-key|private-token|"
    r"x-auth-token|cookie)\s{0,8}:",
    re.IGNORECASE,
)
_CREDENTIAL_PARAM = re.compile(
    r"(?:^|[?&])(access_token|id_token|refresh_token|api_key|apikey|key|token|client_secret|password|assertion)=",
    re.IGNORECASE,
)
_CREDENTIAL_VARIABLE = re.compile(
    r"\$\{?[A-Za-z_]{0,40}(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|CREDENTIALS?)(?![A-Za-z0-9_])"
    r"|\$\(gcloud (?:auth|auth application-default) print-(?:access|identity)-token",
    re.IGNORECASE,
)
HTTP_CLIENTS: Final = frozenset({"curl", "wget", "http", "https", "httpie", "xh"})
PROVIDER_HOSTS: Final[dict[str, tuple[str, ...]]] = {
    "gcp": ("googleapis.com", "google.com", "metadata.google.internal", "169.254.169.254"),
    "aws": ("amazonaws.com", "aws.amazon.com", "169.254.169.254"),  # 169.254.169.254: the instance's own IMDS
}


def credential_words(argv: list[str]) -> list[str]:
    """Return the argv words that carry a credential (a header, a query or form field, a token)."""
    found = []
    for index, word in enumerate(argv[1:], start=1):
        previous = argv[index - 1]
        if (
            _CREDENTIAL_HEADER.match(word)
            or _CREDENTIAL_VARIABLE.search(word)
            or (
                _CREDENTIAL_PARAM.search(word)
                and ("://" in word or previous.startswith(("-d", "--data", "-F", "--form")))
            )
            or (previous in ("-u", "--user") and ":" in word and argv[0] in HTTP_CLIENTS)
            or word.startswith("--oauth2-bearer")
        ):
            found.append(word)
    return found


def credential_problems(item: Rendered) -> Iterator[Problem]:
    """No credential in a process's argv; none sent to a host the paste did not name."""
    block = analysed(item)
    allowed = allowed_hosts(item)
    for command in block.commands:
        argv = command.argv
        if not argv or argv[0] in BUILTINS or argv[0] in ("aws", "gcloud", "gsutil", "bq"):
            continue
        carried = credential_words(argv)
        if carried:
            yield Problem("credential_argv", f"{argv[0]} gets a credential in argv: {redact(carried[0])}")
        reads_config = any(w in ("-K", "--config") or w.startswith("--config=") for w in argv)
        if argv[0] in HTTP_CLIENTS and (carried or reads_config):
            for host in hosts(argv):
                if not host_allowed(host, allowed):
                    yield Problem("credential_host", f"{argv[0]} sends a credential to {host}")


def hosts(argv: list[str]) -> list[str]:
    """Return the concrete hosts of the URLs in an argv (a `$VAR` or `<x>` host is the user's to fill)."""
    found = []
    for word in argv[1:]:
        if re.match(r"https?://", word):
            host = urlsplit(word).hostname or ""
            if host and not re.search(r"[$<{]", word.split("/")[2]) and host not in shell.DUMMY_HOSTS:
                found.append(host.lower())
    return found


def allowed_hosts(item: Rendered) -> set[str]:
    """The hosts the paste named (its URL, its challenge's realm), and the provider's own."""
    allowed = set(PROVIDER_HOSTS.get(item.provider, ()))
    for key in ("url", "realm"):
        value = str(item.facts.get(key, ""))
        if "://" in value and (host := urlsplit(value).hostname):
            allowed.add(host.lower())
    return allowed


def host_allowed(host: str, allowed: set[str]) -> bool:
    """Tell whether a host is, or is under, an allowed one."""
    return any(host == a or host.endswith("." + a) for a in allowed)


def redact(word: str) -> str:
    """Show where a credential was without showing it."""
    return word[:40] + ("..." if len(word) > 40 else "")


# --- safety ----------------------------------------------------------------------------------------

# Writes that replace a whole policy -> the read of that policy that must come first in the block.
WHOLE_POLICY_WRITES: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("s3api", "put-bucket-policy"): ("s3api", "get-bucket-policy"),
    ("kms", "put-key-policy"): ("kms", "get-key-policy"),
    ("iam", "update-assume-role-policy"): ("iam", "get-role"),
    ("sqs", "set-queue-attributes"): ("sqs", "get-queue-attributes"),
    ("sns", "set-topic-attributes"): ("sns", "get-topic-attributes"),
    ("ecr", "set-repository-policy"): ("ecr", "get-repository-policy"),
    ("ecr-public", "set-repository-policy"): ("ecr-public", "get-repository-policy"),
    ("secretsmanager", "put-resource-policy"): ("secretsmanager", "get-resource-policy"),
    ("ec2", "modify-vpc-endpoint"): ("ec2", "describe-vpc-endpoints"),
    ("s3control", "put-access-point-policy"): ("s3control", "get-access-point-policy"),
    ("organizations", "update-policy"): ("organizations", "describe-policy"),
    ("iam", "create-policy-version"): ("iam", "get-policy-version"),
    ("lambda", "put-function-policy"): ("lambda", "get-policy"),
}
MERGERS: Final = frozenset({"jq", "python3", "python"})
INLINE_POLICY_OPS: Final = frozenset({"put-role-policy", "put-user-policy", "put-group-policy"})
_POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}")


def whole_policy_write(argv: list[str]) -> str | None:
    """Return a label when this call replaces a whole policy, else None."""
    if argv[0] in ("gcloud", "bq"):
        call = gcloud_iam_call(argv)
        return f"{argv[0]} {' '.join(call[0])} set-iam-policy" if call and call[1] == "set-iam-policy" else None
    if argv[0] != "aws":
        return None
    if "--reset-policy" in argv:
        return "aws ... --reset-policy"
    words = aws_words(argv)
    if not words or words not in WHOLE_POLICY_WRITES:
        return None
    joined = " ".join(argv)
    if words[0] in ("sqs", "sns") and "Policy" not in joined:
        return None  # other attributes
    if words == ("ec2", "modify-vpc-endpoint") and "--policy-document" not in joined:
        return None
    if words == ("organizations", "update-policy") and "--content" not in joined:
        return None
    if words == ("iam", "create-policy-version") and "--set-as-default" not in argv:
        return None
    return f"aws {' '.join(words)}"


def _reads(argv: list[str], write: list[str]) -> bool:
    if argv[0] == "aws" and write[0] == "aws":
        words = aws_words(write)
        return words is not None and aws_words(argv) == WHOLE_POLICY_WRITES.get(words)
    if argv[0] in ("gcloud", "bq") and write[0] == argv[0]:
        mine, theirs = gcloud_iam_call(argv), gcloud_iam_call(write)
        return bool(mine and theirs and mine[1] == "get-iam-policy" and mine[0] == theirs[0])
    return False


def safety_problems(item: Rendered, shared_names: frozenset[str]) -> Iterator[Problem]:
    """Whole-policy writes read and merge first, in a step marked as a change; inline names vary."""
    block = analysed(item)
    commands = [c.argv for c in block.commands if c.argv]
    for index, argv in enumerate(commands):
        label = whole_policy_write(argv)
        if label:
            read_at = next((i for i in range(index) if _reads(commands[i], argv)), None)
            merged = read_at is not None and any(commands[i][0] in MERGERS for i in range(read_at + 1, index))
            if read_at is None or not merged:
                yield Problem("unsafe", f"{label} without reading and merging the current policy first")
            if item.changes is not True:
                yield Problem("unsafe", f"{label} in a step not marked changes: true")
        words = aws_words(argv) if argv[0] == "aws" else None
        if words and words[0] == "iam" and words[1] in INLINE_POLICY_OPS:
            for name in option_values(argv, "--policy-name"):
                if name in shared_names:
                    yield Problem("unsafe", f"inline policy name {name!r} is shared by several entries")
                elif fixed_name(name, item, argv):
                    yield Problem("unsafe", f"inline policy name {name!r} is fixed: a second fix overwrites the first")
                elif "$" not in name and "<" not in name and not _POLICY_NAME.fullmatch(name):
                    yield Problem("unsafe", f"inline policy name {name!r} is not a valid IAM policy name")


def fixed_name(name: str, item: Rendered, argv: list[str]) -> bool:
    """Tell whether an inline policy name stays the same while the statement it names varies.

    A name must derive from what it allows (the action, the resource), or two fixes for one principal
    overwrite each other. A constant statement (allow-decode: sts:DecodeAuthorizationMessage) may keep one.
    """
    if "$" in name:
        return False
    values = [str(item.facts.get(key, "")) for key in ("action", "permission", "resource")]
    parts = [part for value in values for part in re.split(r"[:/.*]", value) if len(part) >= 4]
    if any(_alnum(part) in _alnum(name) for part in parts):
        return False
    # named after the constant action its own statement allows (allow-sts-DecodeAuthorizationMessage)
    own = re.findall(r'Action"?:\s*"([a-z0-9-]{2,40}:[A-Za-z0-9*]{2,80})"', item.command)
    if any(_alnum(action) in _alnum(name) for action in own):
        return False
    documents = option_values(argv, "--policy-document")
    # an inline document is the statement; a file:// one is written by the rest of the block
    statement = " ".join(documents) if documents and not documents[0].startswith("file://") else item.command
    varies = any(v and v in statement for v in values) or "$" in statement or "<" in statement
    return varies


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def shared_policy_names(items: Iterable[Rendered]) -> frozenset[str]:
    """Literal inline policy names that more than one entry writes (a second fix overwrites the first)."""
    entries: dict[str, set[str]] = {}
    for item in items:
        if "policy-name" not in item.command:
            continue
        for argv in analysed(item).invocations("aws"):
            words = aws_words(argv)
            if words and words[0] == "iam" and words[1] in INLINE_POLICY_OPS:
                for name in option_values(argv, "--policy-name"):
                    if "$" not in name and "<" not in name and name not in pasted_values(item):
                        entries.setdefault(name, set()).add(item.entry)
    return frozenset(name for name, users in entries.items() if len(users) > 1)


# aws operations that change state, by the verb their name starts with (dry runs excepted)
AWS_CHANGE_VERBS: Final = (
    "put-", "create-", "update-", "delete-", "attach-", "detach-", "add-", "remove-", "set-", "modify-", "tag-",
    "untag-", "enable-", "disable-", "reset-", "associate-", "disassociate-", "import-", "register-", "deregister-",
    "start-", "stop-", "terminate-", "run-", "invoke", "publish", "send-", "upload-", "restore-", "cancel-",
    "revoke-", "authorize-", "accept-", "reject-", "apply-", "change-", "replace-", "rotate-", "retire-",
)  # fmt: skip
AWS_HIGH_LEVEL_CHANGES: Final = frozenset({("s3", "mv"), ("s3", "rm"), ("s3", "mb"), ("s3", "rb")})
AWS_COPIES: Final = frozenset({("s3", "cp"), ("s3", "sync")})  # a change when they write to S3
GCLOUD_CHANGE_VERBS: Final = (
    "add-", "remove-", "set-iam-policy", "create", "delete", "update", "enable", "disable", "deploy", "undelete",
    "patch", "reset", "set-", "import", "rotate",
)  # fmt: skip
GCLOUD_LOCAL_GROUPS: Final = frozenset({"config", "auth", "components", "topic", "help", "info"})


def changes_state(argv: list[str]) -> bool:
    """Tell whether a cloud CLI call changes state (a resource, a policy, a binding)."""
    if argv[0] == "kubectl":
        words = [w for w in argv[1:] if not w.startswith("-")]
        dry_run = any(w.startswith("--dry-run") and w not in ("--dry-run=none",) for w in argv)
        return bool(words) and words[0] in KUBECTL_WRITES and not dry_run
    if argv[0] == "aws":
        pair = aws_words(argv)
        if not pair or "--dry-run" in argv:
            return False
        if pair in AWS_COPIES:
            targets = [w for w in argv[3:] if not w.startswith("-")]
            return bool(targets) and targets[-1].startswith("s3://")
        return pair in AWS_HIGH_LEVEL_CHANGES or pair[1].startswith(AWS_CHANGE_VERBS)
    if argv[0] == "gcloud":
        words = [w for w in argv[1:] if not w.startswith("-")]
        words = words[1:] if words and words[0] in RELEASE_TRACKS else words
        if not words or words[0] in GCLOUD_LOCAL_GROUPS:
            return False
        return any(w.startswith(GCLOUD_CHANGE_VERBS) for w in words[1:4])
    return False


def change_problems(item: Rendered) -> Iterator[Problem]:
    """A step whose command changes state says so (`changes: true`)."""
    if item.changes is True:
        return
    for argv in analysed(item).commands:
        if argv.argv and changes_state(argv.argv):
            yield Problem("unmarked_change", " ".join(argv.argv[:3]) + " in a step not marked changes: true")
            return


# --- all together ----------------------------------------------------------------------------------


@cache
def parsed(command: str) -> shell.Block:
    """Parse each distinct command once."""
    return shell.parse(command)


def analysed(item: Rendered) -> shell.Block:
    """The command as the checks other than the placeholder one read it: each old `<name>` as a dummy.

    Read as bash reads it, `--user-name <user_name> --policy-name x` loses `--policy-name` to a
    redirection; with the dummy in place the checks see the arguments the template meant.
    """
    return _filled(item.command, item.entry, pasted_values(item))


@cache
def _filled(command: str, entry: str, data: tuple[str, ...]) -> shell.Block:
    return shell.parse(shell.fill_for_check(parsed(command), entry, data))


def pasted_values(item: Rendered) -> tuple[str, ...]:
    """The payload's own values as they appear in the command (raw and shell-quoted)."""
    values = [str(v) for v in item.facts.values() if isinstance(v, str | int)]
    return tuple(values + [shell_quoted(v) for v in values])


def shell_quoted(value: str) -> str:
    """The renderer's quoting (api.render.shell_quote), imported late: the checker reads the app."""
    from api.render import shell_quote

    return shell_quote(value)


def derived_values(item: Rendered) -> dict[str, Any]:
    """The response's `derived` values, each either plain or {"value": ..., ...} (labelled inferred)."""
    return {k: v.get("value") if isinstance(v, dict) else v for k, v in item.derived.items()}


def check(item: Rendered, keys: frozenset[str], shared_names: frozenset[str]) -> list[Problem]:
    """Return every semantic problem of one rendered command."""
    known = {**derivable(item.facts), **{k: str(v) for k, v in derived_values(item).items() if v}}
    known = {key: value for key, value in known.items() if placeable(value, key)}  # `?`, `<id>`: not a usable value
    problems = [
        *placeholder_problems(item, keys, known),
        *service_problems(item),
        *gcp_role_problems(item),
        *kubernetes_problems(item),
        *principal_problems(item, known),
        *credential_problems(item),
        *safety_problems(item, shared_names),
        *change_problems(item),
    ]
    return list(dict.fromkeys(problems))
