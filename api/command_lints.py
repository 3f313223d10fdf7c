"""Checks of command templates that need no CLI: where facts may go, and which commands change state.

Used by the content lint (api/catalog.py). A fact goes into a command as one shell word, quoted by
the renderer; inside a quoted string or a heredoc it would be quoted twice (a JSON value
`"'x'"`) or, unfilled, its variable would not expand. And a command that writes anything (a grant,
a policy, a config file, fresh credentials) must sit in a step marked `changes: true`, so every
surface can say so before the user pastes it.
"""

from __future__ import annotations

import re
from typing import Final

_PLACEHOLDER = re.compile(r"(?<![%$])\{([a-z][a-z0-9_]{0,40})\}")
_HEREDOC = re.compile(r"<<-?\s{0,4}['\"]?[A-Za-z_]{1,20}")

# aws <service> <operation>: operations that write. Read-only ones are get-, list-, describe-,
# simulate-, lookup-, decode-, head-, batch-get-, generate-... (a write verb is matched as a prefix).
_AWS_WRITE_VERBS: Final = (
    "put-", "create-", "delete-", "update-", "attach-", "detach-", "add-", "remove-", "set-", "tag-",
    "untag-", "modify-", "enable-", "disable-", "reset-", "revoke-", "authorize-", "cancel-", "start-",
    "stop-", "reboot-", "terminate-", "run-", "invoke", "publish", "send-", "deregister-", "register-",
    "associate-", "disassociate-", "replace-", "import-", "restore-", "grant-", "retire-", "schedule-",
    "upload-", "accept-", "reject-", "login", "logout", "cp", "mv", "rm", "sync", "mb", "rb",
)  # fmt: skip
_AWS_INVOCATION = re.compile(
    r"(?:^|[\s;&|(])aws(?:\s+--[a-z-]{1,30}(?:[ =][^\s]{1,200})?){0,4}\s+([a-z0-9-]{2,40})\s+([a-z0-9-]{1,60})"
)
# kubectl <verb>: the subcommands that write to the cluster (a --dry-run writes nothing)
_KUBECTL_INVOCATION = re.compile(r"(?:^|[\s;&|(])kubectl\s+([a-z-]{2,20})\b([^;&|\n]{0,2000})")
_KUBECTL_WRITES: Final = frozenset(
    {"create", "apply", "patch", "delete", "edit", "replace", "label", "annotate", "set", "scale", "taint",
     "cordon", "uncordon", "drain", "rollout", "expose", "run", "autoscale"}
)  # fmt: skip
_GCLOUD_INVOCATION = re.compile(r"(?:^|[\s;&|(])(gcloud|gsutil|bq)((?:\s+[a-z][a-z0-9-]{0,60}){1,5})")
_GCLOUD_WRITE_WORDS: Final = frozenset(
    {
        "add-iam-policy-binding", "remove-iam-policy-binding", "set-iam-policy", "create", "delete", "update",
        "enable", "disable", "deploy", "set", "login", "revoke", "activate-service-account", "ch", "mk", "rm",
        "cp", "mv", "undelete", "patch", "apply", "import", "unset",
    }
)  # fmt: skip


# az <group> <subgroup> <command>: the command words that write (login writes the token cache).
_AZ_INVOCATION = re.compile(r"(?:^|[\s;&|(])az((?:\s+[a-z][a-z0-9-]{0,60}){1,5})")
_AZ_WRITE_WORDS: Final = frozenset(
    {
        "create", "delete", "update", "set", "add", "remove", "login", "logout", "reset", "assign", "set-policy",
        "delete-policy", "purge", "regenerate-key", "renew", "admin-consent", "grant", "import", "restore",
    }
)  # fmt: skip


def quoted_placeholders(command: str) -> list[str]:
    """Return the placeholders that sit inside quotes or after a heredoc opener (not one shell word)."""
    found: list[str] = []
    heredoc = _HEREDOC.search(command)
    for match in _PLACEHOLDER.finditer(command):
        if (heredoc is not None and match.start() > heredoc.start()) or _inside_quotes(command, match.start()):
            found.append(match.group(1))
    return found


def _inside_quotes(command: str, position: int) -> bool:
    """Tell whether the position is inside a '...' or "..." string (backslash escapes outside ')."""
    quote: str | None = None
    escaped = False
    for char in command[:position]:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
    return quote is not None


def state_change(command: str) -> str | None:
    """Return the first invocation in the command that changes state ("aws iam put-role-policy"), or None."""
    for match in _AWS_INVOCATION.finditer(command):
        service, operation = match.groups()
        if service == "configure":  # list, get, export-credentials and list-profiles only read
            if operation in ("set", "sso", "import", "add-model"):
                return f"aws configure {operation}"
        elif operation.startswith(_AWS_WRITE_VERBS):
            return f"aws {service} {operation}"
    for match in _KUBECTL_INVOCATION.finditer(command):
        if match.group(1) in _KUBECTL_WRITES and "--dry-run" not in match.group(2):
            return f"kubectl {match.group(1)}"
    for match in _GCLOUD_INVOCATION.finditer(command):
        tool, words = match.group(1), match.group(2).split()
        if any(word in _GCLOUD_WRITE_WORDS for word in words):
            return f"{tool} {' '.join(words)}"
    for match in _AZ_INVOCATION.finditer(command):
        words = match.group(1).split()
        if any(word in _AZ_WRITE_WORDS for word in words):
            return f"az {' '.join(words)}"
        if words[:1] == ["rest"] and re.search(r"--method\s+(?:put|post|patch|delete)\b", command, re.IGNORECASE):
            return "az rest"
    return None
