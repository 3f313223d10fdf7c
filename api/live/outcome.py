"""What one live check found, in a shape the CLI prints and JSON carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# verified: the provider confirmed it; simulated: the policy simulator agrees; contradicted: the
# provider says otherwise; not permitted: the check itself was denied; unavailable: no
# credentials, no network, or the timeout passed; refused: whydenied did not ask, because the
# check's target is outside the credentials' own account or project (the answer would be about
# the wrong account, or, on a server, hand its credentials to whoever wrote the paste).
Outcome = Literal["verified", "simulated", "contradicted", "not permitted", "unavailable", "refused"]


@dataclass
class CheckResult:
    """One check: its name, outcome, a sentence for people, and what it read."""

    check: str
    outcome: Outcome
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    needs: str | None = None  # the permission the check itself requires
    denial_reason: str | None = None  # when not permitted: whydenied's reading of that denial

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return {key: value for key, value in asdict(self).items() if value not in (None, {})}


_UNSIMULATED_LAYERS = frozenset({"resource_policy", "vpc_endpoint_policy", "rcp", "session_policy"})


def agrees(reason: str | None, decision: str) -> bool:
    """Tell whether an IAM decision (explicitDeny / implicitDeny / allowed) supports the reason."""
    if reason is None:
        return False
    unnamed = reason in ("aws.authz.unspecified", "aws.authz.encoded_message")  # the check names the kind
    if decision == "explicitDeny":
        return ".explicit_deny" in reason or unnamed
    if decision == "implicitDeny":
        return ".implicit_deny" in reason or unnamed
    # "allowed": the identity's policies (with SCPs and boundary) allow it, which fits a denial by
    # a layer the simulator does not evaluate here (no resource policy, session or endpoint given).
    return reason.rsplit(".", 1)[-1] in _UNSIMULATED_LAYERS
