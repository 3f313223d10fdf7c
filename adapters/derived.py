"""Values derived from stated facts: what kind of principal, what type of resource, and the names
commands need (never returned under `facts`, which hold only what a payload states; the response
shows them under `derived`, each with evidence `inferred`).

Commands often need a neighbour of a fact: the role behind an assumed-role session ARN, the bucket
in an S3 object ARN, the queue URL of an SQS queue ARN, the secret id in a Secret Manager resource
name. Steps are chosen by `principal_kind` and `resource_type` (a role-only command is not shown for
an IAM user). Pure string work, every pattern anchored and bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from adapters.azure.derive import azure_derived
from adapters.lazyre import LazyPattern, lazy_compile

# arn:aws:sts::123456789012:assumed-role/Deploy/session-name
_ASSUMED_ROLE = lazy_compile(r"^arn:(aws[a-z-]{0,10}):sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/[^\s]{1,128}$")
# arn:aws:iam::123456789012:role/path/to/Name, arn:aws:iam::123456789012:user/Name
_IAM_ENTITY = lazy_compile(r"^arn:aws[a-z-]{0,10}:iam::\d{12}:(role|user)/(?:[\w+=,.@/-]{0,512}/)?([\w+=,.@-]{1,128})$")
_ROOT = lazy_compile(r"^arn:aws[a-z-]{0,10}:iam::\d{12}:root$")
_FEDERATED = lazy_compile(r"^arn:aws[a-z-]{0,10}:sts::\d{12}:federated-user/[\w+=,.@-]{1,64}$")
_SERVICE_PRINCIPAL = lazy_compile(r"^[a-z0-9-]{1,64}(?:\.[a-z0-9-]{1,64}){0,3}\.amazonaws\.com$")
# arn:partition:service:region:account:resource (the resource may hold ':' and '/')
_ARN = lazy_compile(r"^arn:(aws[a-z-]{0,10}):([a-z0-9-]{1,32}):([a-z0-9-]{0,32}):(\d{12})?:(\S{1,1024})$")

# "user:jane@example.com", "serviceAccount:ci@p.iam.gserviceaccount.com", or a bare email
_MEMBER = lazy_compile(r"^(?:(user|serviceAccount|group|domain):)?([^\s:@]{1,128}@[A-Za-z0-9.-]{1,253})$")
# serviceAccount:my-project.svc.id.goog[namespace/ksa], principal://iam.googleapis.com/.../workloadIdentityPools/...
_WORKLOAD = lazy_compile(
    r"^(?:serviceAccount:[a-z0-9.-]{1,128}\.svc\.id\.goog\[\S{1,256}\]|principal(?:Set)?://\S{1,1024})$"
)
# Cloud Storage permissions checked on the project, not on a bucket
_GCS_PROJECT_PERMISSIONS: Final = frozenset(
    {"storage.buckets.create", "storage.buckets.list", "storage.hmacKeys.create"}
)
# GCS: "my-bucket", "my-bucket/path/obj", "projects/_/buckets/my-bucket/objects/o", "gs://my-bucket/o"
_GCS_BUCKET = lazy_compile(r"^(?:gs://|projects/_/buckets/)?([a-z0-9](?:[a-z0-9._-]{0,220}[a-z0-9])?)(/.*)?$")
# a relative name "projects/p/topics/t", possibly behind "//service.googleapis.com/"
_FULL_NAME = lazy_compile(r"^//([a-z0-9.-]{1,128}\.googleapis\.com)/(\S{1,1024})$")
_RELATIVE_NAME = lazy_compile(r"^(?:projects|organizations|folders|billingAccounts)/[^\s]{1,1024}$")
# a service account named by its email alone (gcloud: "... act as service account x@p.iam.gserviceaccount.com")
# Which part names the project differs by kind: NAME@PROJECT_ID.iam.gserviceaccount.com (user-managed),
# PROJECT_ID@appspot.gserviceaccount.com (App Engine default: the local part is the project id), and
# PROJECT_NUMBER-compute@developer.gserviceaccount.com (Compute default: a number, not a project id).
_SERVICE_AGENT_LOCAL = lazy_compile(r"^(?:service-)?[0-9]{1,20}$")  # service-PROJECT_NUMBER, PROJECT_NUMBER
_SA_EMAIL = lazy_compile(r"^([a-z0-9-]{1,100})@([a-z0-9-]{1,64}\.iam|[a-z0-9-]{1,64})\.gserviceaccount\.com$")
# Kubernetes: system:serviceaccount:NAMESPACE:NAME, and the verbs RBAC rules take
_K8S_SERVICE_ACCOUNT = lazy_compile(r"^system:serviceaccount:([a-z0-9][a-z0-9.-]{0,252}):([a-z0-9][a-z0-9.-]{0,252})$")
_K8S_VERBS: Final = frozenset(
    {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind",
     "escalate", "use", "approve", "sign", "attest", "proxy", "*"}
)  # fmt: skip
# pods, deployments.apps, pods/exec, deployments.apps/scale (kubectl's resource.group/subresource)
_K8S_RESOURCE = lazy_compile(r"^([a-z0-9*][a-z0-9.*-]{0,252})(?:/([a-z]{1,40}))?$")
_K8S_NAME_UNSAFE = lazy_compile(r"[^a-z0-9.-]+")
# IAM policy names: [\w+=,.@-]{1,128}; an action like s3:GetObject becomes allow-s3-GetObject
_POLICY_NAME_UNSAFE = lazy_compile(r"[^\w+=,.@-]")
_WORDS = lazy_compile(r"[A-Za-z0-9]{1,64}")

PRINCIPAL_KINDS: Final = frozenset(
    {
        # AWS
        "iam_user", "iam_role", "role_session", "root", "federated_user", "aws_service",
        # GCP
        "user", "service_account", "group", "domain", "workload_identity",
        # Kubernetes
        "k8s_service_account",
    }
)  # fmt: skip

# GCP relative-name shapes: (pattern, resource type, names the groups give)
_GCP_SHAPES: Final[tuple[tuple[LazyPattern, str, tuple[str, ...]], ...]] = tuple(
    (lazy_compile(pattern), kind, names)
    for pattern, kind, names in (
        (r"^projects/_/buckets/([^/\s]{1,222})/objects/(\S{1,1024})$", "gcs_object", ("bucket", "object_name")),
        (r"^projects/_/buckets/([^/\s]{1,222})$", "gcs_bucket", ("bucket",)),
        (
            r"^projects/([^/\s]{1,64})/secrets/([^/\s]{1,255})(?:/versions/[^/\s]{1,64})?$",
            "secret",
            ("project", "secret"),
        ),
        (r"^projects/([^/\s]{1,64})/topics/([^/\s]{1,255})$", "pubsub_topic", ("project", "topic")),
        (
            r"^projects/([^/\s]{1,64})/subscriptions/([^/\s]{1,255})$",
            "pubsub_subscription",
            ("project", "subscription"),
        ),
        (
            r"^projects/([^/\s]{1,64})/serviceAccounts/([^/\s]{1,255})$",
            "service_account",
            ("project", "service_account_email"),
        ),
        (
            r"^projects/([^/\s]{1,64})/locations/([^/\s]{1,64})/keyRings/([^/\s]{1,63})/cryptoKeys/([^/\s]{1,63})(?:/cryptoKeyVersions/\d{1,9})?$",
            "kms_key",
            ("project", "location", "key_ring", "crypto_key"),
        ),
        (
            r"^projects/([^/\s]{1,64})/locations/([^/\s]{1,64})/keyRings/([^/\s]{1,63})$",
            "kms_key_ring",
            ("project", "location", "key_ring"),
        ),
        (
            r"^projects/([^/\s]{1,64})/locations/([^/\s]{1,64})/repositories/([^/\s]{1,63})(?:/\S{0,1024})?$",
            "artifact_repository",
            ("project", "location", "repository"),
        ),
        (
            r"^projects/([^/\s]{1,64})/locations/([^/\s]{1,64})/services/([^/\s]{1,63})$",
            "run_service",
            ("project", "location", "run_service"),
        ),
        (
            r"^projects/([^/\s]{1,64})/locations/([^/\s]{1,64})/functions/([^/\s]{1,63})$",
            "cloud_function",
            ("project", "location", "function_name"),
        ),
        (
            r"^projects/([^/\s]{1,64})/datasets/([^/\s]{1,1024})/tables/([^/\s]{1,1024})$",
            "bq_table",
            ("project", "dataset", "table_name"),
        ),
        (r"^projects/([^/\s]{1,64})/datasets/([^/\s]{1,1024})$", "bq_dataset", ("project", "dataset")),
        (r"^projects/([^/\s]{1,64})$", "project", ("project",)),
        (r"^projects/([^/\s]{1,64})/\S{1,1024}$", "", ("project",)),  # another resource in a project
        (r"^folders/(\d{1,20})$", "folder", ("folder",)),
        (r"^organizations/(\d{1,20})$", "organization", ("organization",)),
        (r"^billingAccounts/([A-F0-9-]{1,32})$", "billing_account", ("billing_account",)),
    )
)

_GCP_SHAPE_STARTS: Final = ("projects/", "folders/", "organizations/", "billingAccounts/")

# The API host of a GCP resource type, for its full resource name (Policy Troubleshooter takes those).
_SERVICE_OF_TYPE: Final = {
    "secret": "secretmanager.googleapis.com",
    "pubsub_topic": "pubsub.googleapis.com",
    "pubsub_subscription": "pubsub.googleapis.com",
    "service_account": "iam.googleapis.com",
    "kms_key": "cloudkms.googleapis.com",
    "kms_key_ring": "cloudkms.googleapis.com",
    "artifact_repository": "artifactregistry.googleapis.com",
    "run_service": "run.googleapis.com",
    "cloud_function": "cloudfunctions.googleapis.com",
    "bq_dataset": "bigquery.googleapis.com",
    "bq_table": "bigquery.googleapis.com",
    "project": "cloudresourcemanager.googleapis.com",
    "folder": "cloudresourcemanager.googleapis.com",
    "organization": "cloudresourcemanager.googleapis.com",
}

DERIVED_KEYS: Final = (
    "principal_kind", "resource_type", "role_arn", "role_name", "user_name", "resource_role_name",
    "bucket", "object_key", "region", "resource_account", "queue_url", "function_name", "repository_name",
    "table_name", "secret_id", "policy_id", "inline_policy_name", "statement_id", "policy_principal",
    "principal_email", "member", "full_resource_name", "project", "secret", "topic", "subscription",
    "service_account_email", "location", "key_ring", "crypto_key", "repository", "run_service", "dataset",
    "object_name", "folder", "organization", "billing_account", "service_account_subject", "binding_subject",
    "can_i_resource", "subresource", "rbac_role_name", "non_resource_url",
    # Azure (adapters/azure/derive.py)
    "azure_role", "linked_role", "scope", "first_linked_scope", "policy_assignment_scope", "policy_assignment_name",
    "policy_definition_name", "policy_definition_kind",
)  # fmt: skip

# Which stated fact each derived value comes from: the `basis` of its finding.
DERIVED_FROM: Final[dict[str, str]] = {
    "principal_kind": "principal",
    "role_arn": "principal",
    "role_name": "principal",
    "user_name": "principal",
    "principal_email": "principal",
    "member": "principal",
    "policy_id": "policy_arn",
    "inline_policy_name": "action",
    "statement_id": "action",
    "policy_principal": "principal",
    "azure_role": "action",
    "linked_role": "linked_action",
    "first_linked_scope": "linked_scope",
    "policy_assignment_scope": "policy_assignment",
    "policy_assignment_name": "policy_assignment",
    "policy_definition_name": "policy_definition",
    "policy_definition_kind": "policy_definition",
}


def derived_facts(facts: Mapping[str, str | int]) -> dict[str, str]:
    """Return the derived values the facts allow (see DERIVED_KEYS); stated facts are not repeated."""
    derived: dict[str, str] = {}
    principal = str(facts.get("principal", ""))
    resource = str(facts.get("resource", ""))
    derived.update(_aws_principal(principal))
    derived.update(_aws_resource(resource))
    derived.update(_gcp_derived(facts, principal, resource))
    derived.update(_kubernetes_derived(facts, principal, resource))
    derived.update(azure_derived(facts))
    policy_arn = str(facts.get("policy_arn", ""))
    if policy_arn.startswith("arn:") and "/" in policy_arn:
        derived["policy_id"] = policy_arn.rsplit("/", 1)[1]
    action = str(facts.get("action", ""))
    if ":" in action and not action.startswith("Microsoft."):
        # A name per action, so a second fix does not silently replace the first one's statement.
        derived["inline_policy_name"] = "allow-" + _POLICY_NAME_UNSAFE.sub("-", action.replace(":", "-"))[:120]
        # A statement id (Sid) must be alphanumeric in IAM policies: AllowS3GetObject.
        words = _WORDS.findall(action)
        derived["statement_id"] = "Allow" + "".join(word[:1].upper() + word[1:] for word in words)[:100]
    # A resource policy names the role, not one of its sessions (a session ARN is not a valid principal there).
    if derived.get("role_arn") and derived.get("principal_kind") == "role_session":
        derived["policy_principal"] = derived["role_arn"]
    elif principal.startswith("arn:") and derived.get("principal_kind") in ("iam_user", "iam_role", "root"):
        derived["policy_principal"] = principal
    return {key: value for key, value in derived.items() if key not in facts}


def gcp_service_account_kind(email: str) -> str | None:
    """Name a Google-made service account by its email: compute_default, app_engine_default or service_agent.

    The same rules as a resource's service account below: PROJECT_NUMBER-compute@developer.gserviceaccount.com
    (Compute Engine default), PROJECT_ID@appspot.gserviceaccount.com (App Engine default), and Google-managed
    service agents (service-PROJECT_NUMBER@gcp-sa-NAME.iam..., PROJECT_NUMBER@cloudservices...). None for a
    user-managed account (NAME@PROJECT_ID.iam.gserviceaccount.com) or anything else.
    """
    match = _SA_EMAIL.match(email)
    if match is None:
        return None
    local, domain = match.groups()
    if domain == "developer" and local.endswith("-compute"):
        return "compute_default"
    if domain == "appspot":
        return "app_engine_default"
    if domain.startswith("gcp-sa-") or domain == "cloudservices" or _SERVICE_AGENT_LOCAL.match(local):
        return "service_agent"
    return None


def _kubernetes_derived(facts: Mapping[str, str | int], principal: str, resource: str) -> dict[str, str]:
    """The RBAC subject and rule a Kubernetes denial needs: kubectl's flags take them in these shapes."""
    derived: dict[str, str] = {}
    if match := _K8S_SERVICE_ACCOUNT.match(principal):
        namespace, name = match.groups()
        derived["principal_kind"] = "k8s_service_account"
        derived["service_account_subject"] = f"{namespace}:{name}"  # kubectl create rolebinding --serviceaccount
        derived["binding_subject"] = f"{namespace}/{name}"  # how `kubectl get rolebindings -o wide` lists it
    action = str(facts.get("action", ""))
    if action not in _K8S_VERBS or "permission" in facts:
        return derived  # an AWS action has a colon, an Azure one slashes: only a Kubernetes verb goes on
    if principal and "binding_subject" not in derived:
        derived["binding_subject"] = principal
    if resource.startswith("/"):
        derived["non_resource_url"] = resource  # cannot get path "/metrics": a ClusterRole's nonResourceURLs
        derived["rbac_role_name"] = _k8s_name(f"{action}-{resource.strip('/') or 'root'}")
    elif match := _K8S_RESOURCE.match(resource):
        derived["can_i_resource"] = match.group(1)  # kubectl auth can-i reads TYPE/NAME: the subresource is a flag
        if match.group(2):
            derived["subresource"] = match.group(2)
        derived["rbac_role_name"] = _k8s_name(f"{action}-{resource}")
    return derived


def _k8s_name(text: str) -> str:
    """A Role or binding name (a DNS subdomain) from a verb and resource: list-pods, create-pods-exec."""
    name = _K8S_NAME_UNSAFE.sub("-", text.lower().replace("*", "all")).strip(".-")[:63].strip(".-")
    return name or "access"


def _aws_principal(principal: str) -> dict[str, str]:
    if match := _ASSUMED_ROLE.match(principal):
        partition, account, role = match.groups()
        # The session ARN drops the role's path; a role with a path needs it added by hand.
        return {
            "principal_kind": "role_session",
            "role_arn": f"arn:{partition}:iam::{account}:role/{role}",
            "role_name": role,
        }
    if match := _IAM_ENTITY.match(principal):
        kind, name = match.groups()
        if kind == "role":
            return {"principal_kind": "iam_role", "role_arn": principal, "role_name": name}
        return {"principal_kind": "iam_user", "user_name": name}
    if _ROOT.match(principal):
        return {"principal_kind": "root"}
    if _FEDERATED.match(principal):
        return {"principal_kind": "federated_user"}
    if _SERVICE_PRINCIPAL.match(principal):
        return {"principal_kind": "aws_service"}
    return {}


def _aws_resource(resource: str) -> dict[str, str]:
    """The resource type and the names AWS commands take, from a resource ARN."""
    match = _ARN.match(resource)
    if not match:
        return {}
    _partition, service, region, account, rest = match.groups()
    derived: dict[str, str] = {}
    if region:
        derived["region"] = region
    if account:
        derived["resource_account"] = account
    kind, _, name = rest.partition("/") if "/" in rest.split(":", 1)[0] else rest.partition(":")
    if service == "s3" and not region and not account:
        bucket, _, key = rest.partition("/")
        derived["bucket"] = bucket
        if key:
            derived["object_key"] = key
            derived["resource_type"] = "s3_object"
        else:
            derived["resource_type"] = "s3_bucket"
    elif service == "iam" and kind in ("role", "user", "policy", "group"):
        derived["resource_type"] = f"iam_{kind}"
        if kind == "role" and "*" not in name:  # role/* is a pattern, not a role to read
            derived["resource_role_name"] = name.rsplit("/", 1)[-1]
    elif service == "kms" and kind in ("key", "alias"):
        derived["resource_type"] = f"kms_{kind}"
    elif service == "secretsmanager" and kind == "secret":
        derived["resource_type"] = "secretsmanager_secret"
        derived["secret_id"] = resource
    elif service == "lambda" and kind in ("function", "layer"):
        derived["resource_type"] = f"lambda_{kind}"
        if kind == "function":
            derived["function_name"] = name.split(":", 1)[0]
    elif service == "sqs" and "/" not in rest and ":" not in rest:
        derived["resource_type"] = "sqs_queue"
        if region and account:
            derived["queue_url"] = f"https://sqs.{region}.amazonaws.com/{account}/{rest}"
    elif service == "sns" and "/" not in rest and ":" not in rest:
        derived["resource_type"] = "sns_topic"
    elif service == "ecr" and kind == "repository":
        derived["resource_type"] = "ecr_repository"
        derived["repository_name"] = name
    elif service == "dynamodb" and kind == "table":
        derived["resource_type"] = "dynamodb_table"
        derived["table_name"] = name.split("/", 1)[0]
    elif kind:
        derived["resource_type"] = f"{service}_{kind}".replace("-", "_")[:64]
    return derived


def _gcp_derived(facts: Mapping[str, str | int], principal: str, resource: str) -> dict[str, str]:
    derived: dict[str, str] = {}
    if _WORKLOAD.match(principal):
        derived["principal_kind"] = "workload_identity"
        derived["member"] = principal
    elif match := _MEMBER.match(principal):
        kind, email = match.groups()
        derived["principal_email"] = email
        # A bare email is a user unless it is a service account's address.
        kind = kind or ("serviceAccount" if email.endswith(".gserviceaccount.com") else "user")
        derived["member"] = f"{kind}:{email}"
        derived["principal_kind"] = {"serviceAccount": "service_account"}.get(kind, kind)
    service = str(facts.get("service", ""))
    permission = str(facts.get("permission", ""))
    name = resource
    if full := _FULL_NAME.match(resource):
        service = service or full.group(1)
        name = full.group(2)
        derived["full_resource_name"] = resource
    elif _RELATIVE_NAME.match(resource) and service.endswith(".googleapis.com"):
        derived["full_resource_name"] = f"//{service}/{resource}"
    # Every shape starts with one of these: other names (an AWS ARN, a Kubernetes path) skip the table.
    for pattern, kind, names in _GCP_SHAPES if name.startswith(_GCP_SHAPE_STARTS) else ():
        if shape := pattern.match(name):
            derived.update(zip(names, shape.groups(), strict=True))
            if kind:
                derived["resource_type"] = kind
            break
    else:
        if permission in _GCS_PROJECT_PERMISSIONS:
            # "does not have storage.buckets.create access to the Google Cloud project": the word
            # "project" is not a bucket; the permission is checked on the project
            if facts.get("project"):
                derived["resource_type"] = "project"
                derived["full_resource_name"] = f"//cloudresourcemanager.googleapis.com/projects/{facts['project']}"
        elif permission.startswith("storage.") and (match := _GCS_BUCKET.match(resource)):
            # gsutil names the bucket bare ("access to my-bucket"); the troubleshooter wants the full name
            derived["bucket"] = match.group(1)
            derived["resource_type"] = "gcs_object" if match.group(2) else "gcs_bucket"
            if object_name := (match.group(2) or "").lstrip("/"):
                derived["object_name"] = object_name  # "bucket/path/obj" or "gs://bucket/path/obj"
        elif match := _SA_EMAIL.match(resource):
            derived["service_account_email"] = resource
            derived["resource_type"] = "service_account"
            local, domain = match.groups()
            project = ""
            if _SERVICE_AGENT_LOCAL.match(local) or domain.startswith("gcp-sa-"):
                pass  # a Google-managed service agent (service-NUMBER@gcp-sa-NAME.iam...): its domain is Google's
            elif domain.endswith(".iam"):  # a user-managed account: NAME@PROJECT.iam.gserviceaccount.com
                project = domain.removesuffix(".iam")
            elif domain == "appspot":  # the App Engine default account: PROJECT_ID@appspot.gserviceaccount.com
                project = local
            # Any other domain (developer, cloudservices, gcp-sa-*) is Google's, not a project, and
            # the number in PROJECT_NUMBER-compute@developer... is not a project id: derive nothing.
            if project:
                derived["project"] = project
                derived["full_resource_name"] = f"//iam.googleapis.com/projects/{project}/serviceAccounts/{resource}"
    host = _SERVICE_OF_TYPE.get(derived.get("resource_type", ""))
    if host and "full_resource_name" not in derived and "/" in name and not name.startswith("projects/_/"):
        derived["full_resource_name"] = f"//{host}/{name}"
    if "bucket" in derived and "full_resource_name" not in derived and permission.startswith("storage."):
        derived["full_resource_name"] = f"//storage.googleapis.com/projects/_/buckets/{derived['bucket']}"
    if derived.get("resource_type") == "service_account" and "@" not in derived.get("service_account_email", "@"):
        del derived["service_account_email"]  # a unique id, not an email: commands take either, but say email
    return derived
