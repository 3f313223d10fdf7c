"""Kubernetes phrases → reason: credential plugins, the cluster's 401, admission, and look-alikes.

Sources: kubernetes.io (Authenticating: client-go credential plugins; Controlling Access; Admission
Controllers; Pod Security Admission; Resource Quotas), the EKS, GKE and AKS troubleshooting pages,
and the messages kubectl, client-go, Helm and the cloud plugins print.
"""

from __future__ import annotations

from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# Only a Kubernetes payload says these (so the adapter may claim it).
KUBERNETES_MARKERS: Final = lazy_compile(
    # kubectl: 'Error from server (Forbidden): ...', 'error: You must be logged in to the server (Unauthorized)'
    r"Error from server \(|You must be logged in to the server|the server has asked for the client to provide credentials"
    # client-go's exec credential plugin: 'getting credentials: exec: executable aws failed with exit code 255'
    r"|getting credentials: |exec plugin: |client\.authentication\.k8s\.io"
    # 'admission webhook "validation.gatekeeper.sh" denied the request', 'violates PodSecurity "restricted:latest"'
    r"|admission webhook \"|violate PodSecurity \"|violates PodSecurity \"|ValidatingAdmissionPolicy '"
    r"|\" is forbidden: |\bis forbidden: User \"|forbidden: User \"|cannot get path \""
    r"|system:serviceaccount:|system:anonymous|rbac\.authorization\.k8s\.io"
    r"|gke-gcloud-auth-plugin|kubelogin|aws-iam-authenticator|aws eks get-token|kubeconfig"
    r"|unable to validate against any pod security policy|Kubernetes cluster unreachable"
    # 'The connection to the server localhost:8080 was refused - did you specify the right host or port?'
    r"|did you specify the right host or port|failed calling webhook \""
    # apimachinery's conflict: 'Operation cannot be fulfilled on deployments.apps "x": the object has been modified'
    # Terraform's kubernetes provider names its resources: 'kubernetes_namespace.main: Refreshing state...'
    r"|Operation cannot be fulfilled on |\bkubernetes_[a-z0-9_]{2,60}\.[A-Za-z0-9_-]{1,100}"
    # client-go without its GCP auth provider compiled in: 'No Auth Provider found for name "gcp"'
    r"|[Nn]o Auth Provider found for name"
    # the EKS console: "Your current IAM principal doesn't have access to Kubernetes objects on this cluster"
    r"|have access to Kubernetes objects on this cluster"
)

# The local credential plugin (or auth provider) failed: the request never reached the cluster.
# 'Unable to connect to the server: getting credentials: exec: executable aws failed with exit code 255'
# 'exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"'
# 'error: The gcp auth plugin has been removed. Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.'
# 'error: no Auth Provider found for name "gcp"'; kubelogin: 'error: get-token: authentication error: ...'
# OIDC auth provider: 'Unable to connect to the server: failed to refresh token: oauth2: cannot fetch token: 400 Bad Request'
EXEC_PLUGIN: Final = lazy_compile(
    r"getting credentials: |exec plugin: |executable [\w./-]{1,200} (?:not found|failed)"
    r"|[Tt]he (?:gcp|azure) auth plugin has been removed|[Nn]o Auth Provider found for name"
    r"|gke-gcloud-auth-plugin(?: not found|: ?(?:command )?not found| failed)|get-token: |kubelogin failed"
    r"|failed to refresh token|unable to refresh token|cannot fetch token"
    r"|aws-iam-authenticator: (?:command )?not found|exec: \"[\w./-]{1,200}\": executable file not found"
)

# The cluster answered 401: it did not accept the credential the client sent.
UNAUTHORIZED: Final = lazy_compile(
    r"You must be logged in to the server|the server has asked for the client to provide credentials"
    r"|\"reason\": ?\"Unauthorized\"|Error from server \(Unauthorized\)"
    # Terraform's kubernetes and helm providers print the Status reason alone: "│ Error: Unauthorized"
    r"|Error: Unauthorized\b"
)
# A bare "Unauthorized" (client-go's discovery log lines) counts only with a Status object or a hint.
BARE_UNAUTHORIZED: Final = lazy_compile(r"\bUnauthorized\b")

# An EKS cluster: its plugin, its endpoint or its ARN (an Unauthorized here is an unmapped IAM identity).
EKS: Final = lazy_compile(
    r"aws eks get-token|eks get-token|\.eks\.amazonaws\.com|arn:aws[a-z-]{0,10}:eks:|aws-iam-authenticator|aws-auth\b"
    r"|access entr(?:y|ies)|\bEKS\b|\beks\b|access to Kubernetes objects on this cluster"
)
GKE: Final = lazy_compile(r"gke-gcloud-auth-plugin|container\.googleapis\.com|\bGKE\b|\bgke_")
# The EKS console's word for an IAM principal with no access entry
EKS_CONSOLE: Final = lazy_compile(
    r"(?:IAM principal|IAM identity) doesn't have access to Kubernetes objects on this cluster"
)
AKS: Final = lazy_compile(r"\.azmk8s\.io|\bAKS\b|in Azure\. Update role assignment|Azure does not have opinion")

# Admission: a webhook, a ValidatingAdmissionPolicy, Pod Security (enforce) or PodSecurityPolicy said no.
# 'admission webhook "validation.gatekeeper.sh" denied the request: [require-labels] ...'
# 'pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false'
# 'ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding' denied request: ...'
ADMISSION: Final = lazy_compile(
    r"admission webhook \"(?P<webhook>[^\"\s]{1,253})\" denied the request"
    r"|is forbidden: violates PodSecurity \"(?P<level>[a-z]{1,20}:[\w.]{1,20})\""
    r"|ValidatingAdmissionPolicy '(?P<vap>[^'\s]{1,253})' with binding '[^'\s]{1,253}' denied request"
    r"|unable to validate against any pod security policy"
    r"|is forbidden: (?:PodSecurityPolicy|pod security policy)"
    r"|denied the request: \[denied by|admission webhook .{0,120}denied"
)
# Pod Security in warn or audit mode: the object was admitted; the paste is a warning.
# 'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false ...'
POD_SECURITY_WARNING: Final = lazy_compile(r"would violate PodSecurity \"(?P<level>[a-z]{1,20}:[\w.]{1,20})\"")
POD_SECURITY_LEVEL: Final = lazy_compile(r"PodSecurity \"([a-z]{1,20}:[\w.]{1,20})\"")

# Failures that say "forbidden" or arrive from the API server but are not access failures, with
# what each is (Diagnosis.note). 'pods "x" is forbidden: exceeded quota: compute-resources, requested: ...'
NOT_ACCESS: Final[tuple[tuple[LazyPattern, str], ...]] = (
    (
        lazy_compile(r"exceeded quota: |failed quota: |is forbidden: \[(?:maximum|minimum) [a-z]{1,20} usage"),
        "a ResourceQuota or LimitRange refused the request: no role or credential change will fix it. "
        "Read the quota it names (kubectl describe resourcequota -n NAMESPACE) and lower the request or raise the quota.",
    ),
    (
        lazy_compile(r"because it is being terminated"),
        "the namespace is being deleted: nothing can be created in it until it is gone.",
    ),
    (
        lazy_compile(r"failed calling webhook \""),
        "an admission webhook could not be reached (its Service, endpoints or certificate): it did not deny "
        "the request, the API server failed to ask it. Check the webhook's pods and service, or its failurePolicy.",
    ),
    (
        lazy_compile(r"error looking up service account |Error from server \(NotFound\)|\(NotFound\)|\" not found\b"),
        "the object does not exist (NotFound): not an access failure. Check its name, namespace and context.",
    ),
    (
        lazy_compile(
            r"Error from server \((?:AlreadyExists|Conflict)\)|the object has been modified|already exists\b"
            r"|Operation cannot be fulfilled on "
        ),
        "a conflict: the object already exists or changed since it was read. Re-read it and retry.",
    ),
    (
        lazy_compile(r"x509: |certificate signed by unknown authority|tls: failed to verify"),
        "a TLS failure: the client does not trust the API server's certificate (certificate-authority-data in "
        "the kubeconfig), or the server name does not match it.",
    ),
    (
        lazy_compile(
            r"connection to the server [^\s]{1,260} was refused|Unable to connect to the server: dial tcp"
            r"|connect: connection refused|i/o timeout|no such host|context deadline exceeded"
            r"|Kubernetes cluster unreachable: Get "
        ),
        "the API server could not be reached (wrong server address or context, network, or a private "
        "endpoint): not an access failure.",
    ),
    (
        lazy_compile(
            r"Error from server \(TooManyRequests\)|too many requests|\(BadRequest\)|Error from server \(Invalid\)"
        ),
        "the API server refused the request for a reason other than access (rate limit or an invalid object).",
    ),
)

# A cloud provider's own denial or credential error: its adapter reads the layer that said no
# (a pod reaching S3 through IRSA, an exec plugin whose AWS profile expired, GKE's IAM requirement).
CLOUD_OWN: Final = lazy_compile(
    r"is not authorized to perform: [a-z0-9-]{1,40}:|\bAccessDenied(?:Exception)?\b|ExpiredToken|InvalidClientTokenId"
    r"|Unable to locate credentials|NoCredentialProviders|Error when retrieving token from sso|UnauthorizedSSOTokenError|SignatureDoesNotMatch|UnrecognizedClientException|Token has expired and refresh failed"
    r"|AssumeRoleWithWebIdentity|requires one of \[\"[a-z]{2,40}\.|Required \"[a-z]{2,40}\.[A-Za-z]{1,60}\.[a-z]{1,40}\" permission"
    r"|\bPERMISSION_DENIED\b|\bAADSTS\d{5,6}|AuthorizationFailed|does not have authorization to perform action"
    r"|DefaultAzureCredential|invalid_grant|Reauthentication (?:is )?(?:needed|required)"
)
