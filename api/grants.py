"""One table per provider of the commands that grant access on a resource, keyed by resource type.

A guidance step that says `grant: gcp_role` or `grant: aws_resource_policy` takes its command from
here, so a Secret Manager denial gets a Secret Manager binding and a KMS denial a key-policy edit,
never a Cloud Storage binding or an S3 bucket policy written in the entry by hand (issue 13).

GCP bindings use `add-iam-policy-binding`, which reads the policy, adds one member to one role and
writes it back with the etag it read: nothing else in the policy changes. AWS resource policies
have no such call (except Lambda's add-permission), so each command reads the current policy,
appends one statement with jq, and writes the merged document back; a resource with no policy yet
starts from an empty one. Templates use the fact and derived keys of the taxonomy.
"""

from __future__ import annotations

from typing import Final

# GCP: where the role is granted (the role table's `grant_on`, or the resource type) -> the binding command.
GCP_BINDINGS: Final[dict[str, str]] = {
    "project": "gcloud projects add-iam-policy-binding {project} --member={member} --role={role}",
    "bucket": "gcloud storage buckets add-iam-policy-binding gs://{bucket} --member={member} --role={role}",
    "topic": "gcloud pubsub topics add-iam-policy-binding {topic} --project={project} --member={member} --role={role}",
    "subscription": (
        "gcloud pubsub subscriptions add-iam-policy-binding {subscription} --project={project} "
        "--member={member} --role={role}"
    ),
    "secret": "gcloud secrets add-iam-policy-binding {secret} --project={project} --member={member} --role={role}",
    # The full name, not the bare email: gcloud's parser needs a project for a bare email and stops
    # with "Failed to find attribute [project]" when core/project is unset; "-" lets IAM infer it.
    "service_account": (
        "gcloud iam service-accounts add-iam-policy-binding projects/-/serviceAccounts/{service_account_email} "
        "--member={member} --role={role}"
    ),
    "service": (
        "gcloud run services add-iam-policy-binding {run_service} --region={location} --project={project} "
        "--member={member} --role={role}"
    ),
    "function": (
        "gcloud functions add-iam-policy-binding {function_name} --region={location} --project={project} "
        "--member={member} --role={role}"
    ),
    "repository": (
        "gcloud artifacts repositories add-iam-policy-binding {repository} --location={location} "
        "--project={project} --member={member} --role={role}"
    ),
    "key": (
        "gcloud kms keys add-iam-policy-binding {crypto_key} --keyring={key_ring} --location={location} "
        "--project={project} --member={member} --role={role}"
    ),
    "keyring": (
        "gcloud kms keyrings add-iam-policy-binding {key_ring} --location={location} --project={project} "
        "--member={member} --role={role}"
    ),
    "table": "bq add-iam-policy-binding --member={member} --role={role} --table=true {project}:{dataset}.{table_name}",
    "folder": "gcloud resource-manager folders add-iam-policy-binding {folder} --member={member} --role={role}",
    "organization": "gcloud organizations add-iam-policy-binding {organization} --member={member} --role={role}",
    "billing_account": "gcloud billing accounts add-iam-policy-binding {billing_account} --member={member} --role={role}",
}

# The GCP resource type the paste names -> the level it is granted on (a key of GCP_BINDINGS).
GCP_LEVEL_OF_RESOURCE: Final[dict[str, str]] = {
    "gcs_bucket": "bucket",
    "gcs_object": "bucket",
    "secret": "secret",
    "pubsub_topic": "topic",
    "pubsub_subscription": "subscription",
    "service_account": "service_account",
    "kms_key": "key",
    "kms_key_ring": "keyring",
    "artifact_repository": "repository",
    "run_service": "service",
    "cloud_function": "function",
    "bq_table": "table",
    "project": "project",
    "folder": "folder",
    "organization": "organization",
    "billing_account": "billing_account",
}


def _merge(resource: str) -> str:
    """jq adding one Allow statement for the principal and action, on `resource` (a jq expression), to the
    document in policy.json, written to policy.merged.json; a Statement that is a single object (allowed by
    the policy grammar) becomes a list first."""
    return (
        "jq --arg sid {statement_id} --arg p {policy_principal} --arg a {action} "
        + ("--arg r {resource} " if resource == "$r" else "")
        + "'.Statement = ([.Statement] | flatten) + "
        + f'[{{Sid: $sid, Effect: "Allow", Principal: {{AWS: $p}}, Action: $a, Resource: {resource}}}]\' '
        + "policy.json > policy.merged.json"
    )


_MERGE = _merge("$r")
# A key policy's Resource is "*", meaning "this KMS key" (KMS Developer Guide, "Elements in a key policy").
_MERGE_KEY_POLICY = _merge('"*"')
_EMPTY = 'echo \'{"Version": "2012-10-17", "Statement": []}\' > policy.json'

# AWS: the resource type (adapters/derived.py) -> read, merge and write the resource's policy.
AWS_RESOURCE_POLICIES: Final[dict[str, str]] = {
    "s3_bucket": (
        "aws s3api get-bucket-policy --bucket {bucket} --query Policy --output text > policy.json || "
        + _EMPTY
        + "\n"
        + _MERGE
        + "\n"
        "aws s3api put-bucket-policy --bucket {bucket} --policy file://policy.merged.json"
    ),
    "kms_key": (
        "aws kms get-key-policy --key-id {resource} --policy-name default --query Policy --output text > policy.json\n"
        + _MERGE_KEY_POLICY
        + "\n"
        "aws kms put-key-policy --key-id {resource} --policy-name default --policy file://policy.merged.json"
    ),
    "secretsmanager_secret": (
        "aws secretsmanager get-resource-policy --secret-id {secret_id} --query ResourcePolicy --output text "
        '> policy.json && [ -s policy.json ] && [ "$(cat policy.json)" != None ] || ' + _EMPTY + "\n" + _MERGE + "\n"
        "aws secretsmanager put-resource-policy --secret-id {secret_id} --resource-policy file://policy.merged.json"
    ),
    "sqs_queue": (
        "aws sqs get-queue-attributes --queue-url {queue_url} --attribute-names Policy --query Attributes.Policy "
        '--output text > policy.json && [ "$(cat policy.json)" != None ] || ' + _EMPTY + "\n" + _MERGE + "\n"
        "jq -c '{Policy: tojson}' policy.merged.json > attributes.json\n"
        "aws sqs set-queue-attributes --queue-url {queue_url} --attributes file://attributes.json"
    ),
    "sns_topic": (
        "aws sns get-topic-attributes --topic-arn {resource} --query Attributes.Policy --output text > policy.json\n"
        + _MERGE
        + "\n"
        "aws sns set-topic-attributes --topic-arn {resource} --attribute-name Policy "
        "--attribute-value file://policy.merged.json"
    ),
    "ecr_repository": (
        "aws ecr get-repository-policy --repository-name {repository_name} --query policyText --output text "
        "> policy.json || " + _EMPTY + "\n" + _MERGE + "\n"
        "aws ecr set-repository-policy --repository-name {repository_name} --policy-text file://policy.merged.json"
    ),
    "lambda_function": (
        # add-permission adds one statement to the function's policy itself: nothing to merge by hand.
        "aws lambda add-permission --function-name {resource} --statement-id {statement_id} "
        "--action {action} --principal {policy_principal}"
    ),
}

# Where a resource type's policy lives, for the service check: the CLI service that edits it.
AWS_POLICY_SERVICE: Final[dict[str, str]] = {
    "s3_bucket": "s3",
    "s3_object": "s3",
    "kms_key": "kms",
    "secretsmanager_secret": "secretsmanager",
    "sqs_queue": "sqs",
    "sns_topic": "sns",
    "ecr_repository": "ecr",
    "lambda_function": "lambda",
}


def gcp_binding(grant_on: str | None, resource_type: str | None) -> str:
    """The binding template for a role: at the named resource when the role can be granted there,
    else at the role table's level, else on the project (always possible: bindings are inherited)."""
    level = GCP_LEVEL_OF_RESOURCE.get(resource_type or "")
    if level is not None and (grant_on is None or grant_on == level or grant_on == "project"):
        # A role usually granted on the project (create, list) still works on the project only.
        chosen = "project" if grant_on == "project" else level
    else:
        chosen = grant_on or "project"
    return GCP_BINDINGS.get(chosen, GCP_BINDINGS["project"])


def aws_resource_policy(resource_type: str | None) -> str | None:
    """The read-merge-write template for the resource's policy, or None for a type without one here."""
    if resource_type == "s3_object":
        resource_type = "s3_bucket"  # an object's access is granted in its bucket's policy
    return AWS_RESOURCE_POLICIES.get(resource_type or "")
