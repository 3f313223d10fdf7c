"""Reading rendered command blocks as bash does, without running them: words, quotes, heredocs.

A small scanner, not a full bash parser: it splits a block into simple commands (at newlines, `;`,
`&`, `|`, `&&`, `||`, parentheses), removes quotes from words, reads heredoc bodies, and parses the
inside of `$(...)`, backticks and `<(...)` as commands of their own (they run first, so they are listed
before the command that holds them). `$VAR`, `${...}` and `$(...)` stay literal in a word's value.
It also records which characters are quoted or in a heredoc body, so an unquoted `<name>` (a shell
redirect when pasted) is told from a literal one. Single pass over the text: linear time.

Also here: the placeholders a block contains (`<name>`, `"${NAME:?message}"`), and the dummy value of
the right shape for each name, set when a block is run by the real CLIs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

OPERATOR_CHARS: Final = frozenset(";&|()")
PREFIX_WORDS: Final = frozenset({"!", "then", "do", "else", "elif", "if", "while", "until", "time", "{", "}", "exec"})
NOT_COMMANDS: Final = frozenset({"for", "case", "select", "done", "fi", "esac", "function", "in"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\+?=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass
class Word:
    """One shell word: its source text and its value with quotes removed (expansions kept literal)."""

    raw: str
    value: str
    quoted: bool = False
    start: int = -1  # where it begins in the block


@dataclass
class Simple:
    """One simple command: words, redirections (operator, target) and the heredoc bodies it reads."""

    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    span: tuple[int, int] = (-1, -1)  # where its text is in the block (without its heredoc bodies)
    heredocs: list[str] = field(default_factory=list)
    here_strings: list[str] = field(default_factory=list)
    nested: bool = False  # inside $(...), backticks or <(...)

    @property
    def argv(self) -> list[str]:
        """The command's arguments: leading assignments, `env X=y` and keywords removed; [] for for/case."""
        values = [word.value for word in self.words]
        index = 0
        while index < len(values):
            value = values[index]
            if value in PREFIX_WORDS or _ASSIGNMENT.match(value) or (value == "env" and index + 1 < len(values)):
                index += 1
                continue
            break
        rest = values[index:]
        if rest and rest[0] in NOT_COMMANDS:
            return []
        return rest

    @property
    def source_start(self) -> int:
        """Where the command proper begins in the block: after any leading keyword (do, then, !)."""
        for word in self.words:
            if word.value not in PREFIX_WORDS:
                return word.start
        return self.span[0]

    @property
    def assignments(self) -> dict[str, str]:
        """`NAME=value` words before the command (or alone: a plain assignment)."""
        found: dict[str, str] = {}
        for word in self.words:
            match = _ASSIGNMENT.match(word.value)
            if not match:
                break
            found[word.value[: match.end()].rstrip("+=")] = word.value[match.end() :]
        return found


@dataclass
class Block:
    """A parsed block: its simple commands in the order they run, and which characters are literal."""

    text: str
    commands: list[Simple]
    literal: list[bool]  # per character: inside quotes or a heredoc body (never a redirect there)

    def invocations(self, program: str) -> list[list[str]]:
        """Return the argv of every call of `program` (by its first word, path stripped)."""
        return [c.argv for c in self.commands if c.argv and c.argv[0].rsplit("/", 1)[-1] == program]


class _Scanner:
    def __init__(self, text: str, offset: int, literal: list[bool], out: list[Simple], nested: bool) -> None:
        self.text = text
        self.offset = offset  # where `text` starts in the whole block (for `literal`)
        self.literal = literal
        self.out = out
        self.nested = nested
        self.current = Simple(nested=nested)
        self.raw: list[str] = []
        self.value: list[str] = []
        self.quoted = False
        self.in_word = False
        self.position = 0  # the token being read
        self.word_start = -1
        self.target: str | None = None  # the redirect operator whose target the next word is
        self.pending: list[tuple[str, bool, Simple]] = []  # heredocs: delimiter, strip tabs, owner

    def mark(self, start: int, end: int) -> None:
        for index in range(self.offset + start, min(self.offset + end, len(self.literal))):
            self.literal[index] = True

    def end_word(self) -> None:
        if not self.in_word:
            return
        word = Word("".join(self.raw), "".join(self.value), self.quoted, self.word_start)
        if self.target is None:
            self.current.words.append(word)
        elif self.target in ("<<", "<<-"):
            self.pending.append((word.value, self.target == "<<-", self.current))
            self.current.redirects.append((self.target, word.value))
        elif self.target == "<<<":
            self.current.here_strings.append(word.value)
            self.current.redirects.append((self.target, word.value))
        else:
            self.current.redirects.append((self.target, word.value))
        self.target = None
        self.raw, self.value, self.quoted, self.in_word = [], [], False, False

    def end_command(self) -> None:
        self.end_word()
        self.target = None  # a redirection with no target word: bash's syntax error, shellcheck's finding
        if self.current.words or self.current.redirects:
            self.out.append(self.current)
        self.current = Simple(nested=self.nested)

    def add(self, raw: str, value: str, quoted: bool = False) -> None:
        if not self.in_word:
            self.word_start = self.offset + self.position
        self.raw.append(raw)
        self.value.append(value)
        self.quoted = self.quoted or quoted
        self.in_word = True

    def nested_commands(self, start: int, end: int) -> None:
        """Parse text[start:end] (inside $(...), backticks, <(...)) as commands that run first."""
        inner: list[Simple] = []
        _Scanner(self.text[start:end], self.offset + start, self.literal, inner, True).run()
        self.out.extend(inner)

    def heredoc_bodies(self, start: int) -> int:
        """Read the bodies of the heredocs opened on the line that just ended; return where code resumes."""
        position = start
        for delimiter, strip_tabs, owner in self.pending:
            lines: list[str] = []
            while position < len(self.text):
                end = self.text.find("\n", position)
                end = len(self.text) if end < 0 else end
                line = self.text[position:end]
                self.mark(position, end)
                position = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
                lines.append(line)
            owner.heredocs.append("\n".join(lines))
        self.pending = []
        return position

    def run(self) -> None:
        text, n, i = self.text, len(self.text), 0
        while i < n:
            c, before = text[i], i
            content = c not in " \t\n" and c not in OPERATOR_CHARS and not (c == "#" and not self.in_word)
            self.position = i
            i = self.step(c, i)
            if content and i > before:  # the command's text runs to here
                start = self.current.span[0] if self.current.span[0] >= 0 else self.offset + before
                self.current.span = (start, self.offset + i)
        self.end_command()

    def step(self, c: str, i: int) -> int:
        """Read the token at i; return where the next one starts."""
        text, n = self.text, len(self.text)
        if c in " \t":
            self.end_word()
            return i + 1
        if c == "\n":
            self.end_command()
            return self.heredoc_bodies(i + 1) if self.pending else i + 1
        if c == "#" and not self.in_word:
            end = text.find("\n", i)
            return n if end < 0 else end
        if c == "\\":
            if text.startswith("\\\n", i):
                return i + 2  # line continuation
            self.add(text[i : i + 2], text[i + 1 : i + 2], True)
            self.mark(i, i + 2)
            return i + 2
        if c == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            self.add(text[i : end + 1], text[i + 1 : end], True)
            self.mark(i, end + 1)
            return end + 1
        if c == '"':
            return self.double_quoted(i)
        if text.startswith("$'", i):
            end = _ansi_end(text, i + 2)
            self.add(text[i : end + 1], text[i + 2 : end], True)
            self.mark(i, end + 1)
            return end + 1
        if text.startswith("$((", i):
            end = _matching(text, i + 3, "(", ")")
            end = _matching(text, end + 1, "(", ")") if end + 1 < n and text[end + 1] == ")" else end
        elif text.startswith(("$(", "<(", ">("), i):
            end = _matching(text, i + 2, "(", ")")
            self.nested_commands(i + 2, end)
        elif text.startswith("${", i):
            end = _matching(text, i + 2, "{", "}")
        elif c == "`":
            end = text.find("`", i + 1)
            end = n if end < 0 else end
            self.nested_commands(i + 1, end)
        elif c in "<>":
            return self.redirect(i)
        elif c in OPERATOR_CHARS:
            self.end_command()
            return i + (2 if text[i : i + 2] in (";;", "&&", "||", "|&", ";&") else 1)
        else:
            self.add(c, c)
            return i + 1
        self.add(text[i : end + 1], text[i : end + 1])  # an expansion: kept literal in the word
        return end + 1

    def double_quoted(self, start: int) -> int:
        text, n = self.text, len(self.text)
        i = start + 1
        value: list[str] = []
        literal_from = start  # command substitutions inside are code, not literal text
        while i < n and text[i] != '"':
            if text[i] == "\\" and i + 1 < n:
                value.append(text[i + 1] if text[i + 1] in '"\\$`\n' else text[i : i + 2])
                i += 2
            elif text.startswith("$(", i) and not text.startswith("$((", i):
                end = _matching(text, i + 2, "(", ")")
                self.mark(literal_from, i + 2)
                self.nested_commands(i + 2, end)
                literal_from = end
                value.append(text[i : end + 1])
                i = end + 1
            elif text.startswith("${", i):
                end = _matching(text, i + 2, "{", "}")
                value.append(text[i : end + 1])
                i = end + 1
            elif text[i] == "`":
                end = text.find("`", i + 1)
                end = n if end < 0 else end
                self.mark(literal_from, i + 1)
                self.nested_commands(i + 1, end)
                literal_from = end
                value.append(text[i : end + 1])
                i = end + 1
            else:
                value.append(text[i])
                i += 1
        self.mark(literal_from, i + 1)
        self.add(text[start : i + 1], "".join(value), True)
        return i + 1

    def redirect(self, i: int) -> int:
        text = self.text
        # a word of digits just before is the file descriptor (2>&1): not an argument
        fd_prefix = self.in_word and "".join(self.value).isdigit() and not self.quoted
        if fd_prefix:
            self.raw, self.value, self.in_word = [], [], False
        else:
            self.end_word()
        for operator in ("<<<", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", "<", ">"):
            if text.startswith(operator, i):
                break
        i += len(operator)
        if operator in (">&", "<&") and i < len(text) and (text[i].isdigit() or text[i] == "-"):
            end = i
            while end < len(text) and (text[end].isdigit() or text[end] == "-"):
                end += 1
            self.current.redirects.append((operator, text[i:end]))
            return end
        self.target = operator
        return i


def _matching(text: str, start: int, open_char: str, close_char: str) -> int:
    """Return the index of the bracket closing one opened just before `start`, skipping quoted text."""
    depth, i, n = 1, start, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and open_char == "(":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            i = end + 1
            continue
        if c == open_char:
            depth += 1
        elif c == close_char:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _ansi_end(text: str, start: int) -> int:
    i = start
    while i < len(text) and text[i] != "'":
        i += 2 if text[i] == "\\" else 1
    return min(i, len(text))


def parse(text: str) -> Block:
    """Return the block's simple commands and its literal-character map."""
    literal = [False] * len(text)
    commands: list[Simple] = []
    _Scanner(text, 0, literal, commands, False).run()
    return Block(text, commands, literal)


# `<role_arn>`, `<the KMS operation, e.g. Decrypt>`: a letter first, no whitespace just before the `>`,
# so `jq . <in.json >out.json` (two redirections) is not one.
_ANGLE = re.compile(r"<([A-Za-z][^<>\n]{0,100}[^\s<>]|[A-Za-z])>")
# "${ROLE_NAME:?set ROLE_NAME to the role name}" (also without the colon)
_REQUIRED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,63}):?\?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Placeholder:
    """A `<name>` in a block: the name, whether it is unquoted (a redirect when pasted), and where."""

    name: str
    unquoted: bool
    start: int
    end: int


def angle_placeholders(block: Block, data: tuple[str, ...] = ()) -> list[Placeholder]:
    """Return every `<name>` the template wrote, ignoring any inside the given pasted values."""
    text = block.text
    blanked = text
    for value in sorted({v for v in data if len(v) >= 3}, key=len, reverse=True):
        if "<" in value:
            blanked = blanked.replace(value, "\0" * len(value))
    found = []
    for match in _ANGLE.finditer(blanked):
        unquoted = not block.literal[match.start()]
        found.append(Placeholder(match.group(1), unquoted, match.start(), match.end()))
    return found


def placeable_text(value: str) -> bool:
    """Tell whether a value could be placed in a command (no control character: see api.render)."""
    return _CONTROL.search(value) is None


def required_variables(text: str) -> list[str]:
    """Return the names of the `${NAME:?message}` values a block still needs, in order, once each."""
    return list(dict.fromkeys(match.group(1) for match in _REQUIRED.finditer(text)))


# The dummy a checked block gets for a value still to fill in, by variable (or fact) name: the shape
# the CLI expects (an ARN, 12 digits, an email, a bucket-ish name), so the CLI parses the rest.
_ACCOUNT = "123456789012"
DUMMY_HOSTS: Final = frozenset({"api.example.com", "app.example.com"})  # a URL still to fill in, not a host
_SA = "example-sa@example-project.iam.gserviceaccount.com"
DUMMIES: Final[dict[str, str]] = {
    "ACCOUNT_ID": _ACCOUNT, "ACCOUNT": _ACCOUNT, "ACCOUNTID": _ACCOUNT, "ACCOUNT_NUMBER": _ACCOUNT,
    "ROLE_ACCOUNT": _ACCOUNT, "ID": _ACCOUNT, "ORG_ID": "123456789012", "ORGANIZATION": "123456789012",
    "FOLDER": "123456789012", "BILLING_ACCOUNT": "012345-6789AB-CDEF01",
    "AWS_REGION": "us-east-1", "REGION": "us-east-1", "LOCATION": "us-central1", "ZONE": "us-central1-a",
    "PROJECT": "example-project", "PROJECT_ID": "example-project", "MY_PROJECT": "example-project",
    "QUOTA_PROJECT": "example-project", "PROJECT_NAME": "example-project",
    "MEMBER": "user:someone@example.com", "PRINCIPAL_EMAIL": "someone@example.com",
    "SA": _SA, "SA_EMAIL": _SA, "SIGNER_SA": _SA, "SERVICE_ACCOUNT": _SA, "SERVICE_ACCOUNT_EMAIL": _SA,
    "KEY_ID": "1234abcd-12ab-34cd-56ef-1234567890ab", "KEY": "example-key", "KEYRING": "example-keyring",
    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/example-queue",
    "URL": "https://api.example.com/v1/items", "URI": "https://api.example.com/v1/items",
    "ORIGIN": "https://app.example.com", "REALM": "example",
    "TOKEN": "example-token", "ACCESS_TOKEN": "example-token", "ID_TOKEN": "example-token",
    "ROLE_ARN": "arn:aws:iam::123456789012:role/example-role",
    "POLICY_ARN": "arn:aws:iam::123456789012:policy/example-policy",
    "MFA_DEVICE_ARN": "arn:aws:iam::123456789012:mfa/example-device",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:example-topic",
    "RESOURCE_ARN": "arn:aws:s3:::example-bucket", "MFA_CODE": "123456",
    "SHA1": "0123456789abcdef0123456789abcdef01234567",
    "POLICY_ID": "p-abcd1234", "SCP_ID": "p-abcd1234",
    "VPCE_ID": "vpce-0123456789abcdef0", "VPC_ID": "vpc-0123456789abcdef0", "EP": "vpce-0123456789abcdef0",
    "ACTION": "s3:GetObject", "OPERATION": "GetObject", "PERMISSION": "storage.objects.get",
    "ROLE": "roles/viewer", "REQUIRED_SCOPE": "read:items", "EXTRA_SCOPE": "https://www.googleapis.com/auth/cloud-platform",
    "FULL_RESOURCE_NAME": "//cloudresourcemanager.googleapis.com/projects/example-project",
    "ENCODED_MESSAGE": "example-encoded-message", "AUTHORIZATION_ID": "example-authorization-id",
    "CONSTRAINT": "constraints/iam.disableServiceAccountKeyCreation", "TEST_COMMAND": "true",
    "GOOGLE_APPLICATION_CREDENTIALS": "example-credentials.json", "CLIENT_ID_FILE": "example-client.json",
    "EGRESS_IPS": "203.0.113.10/32", "BUNDLE_ID": "com.example.app", "PACKAGE": "com.example.app",
    "PERIMETER": "example_perimeter", "SECRET": "example-secret", "SECRET_ID": "example-secret",
    "USER_NAME": "example-user", "USERNAME": "example-user", "ROLE_NAME": "example-role",
    "RESOURCE_ROLE_NAME": "example-target-role", "TARGET_ROLE": "example-target-role",
    "TARGET_ROLE_NAME": "example-target-role", "BUCKET": "example-bucket", "METHOD": "GET",
    "REQUEST_HEADER": "authorization", "NAMESPACE": "default", "TENANT": "00000000-0000-0000-0000-000000000000",
}  # fmt: skip
# By provider, where a name means different shapes (a fact key is the same name for all providers).
PROVIDER_DUMMIES: Final[dict[tuple[str, str], str]] = {
    # Azure: GUIDs where az takes object, client, tenant or subscription ids; ARM ids where it takes a scope
    ("azure", "OBJECT_ID"): "0b1f6471-1bf0-4dda-aec3-111122223333",
    ("azure", "CLIENT_ID"): "0b1f6471-1bf0-4dda-aec3-444455556666",
    ("azure", "TENANT"): "0b1f6471-1bf0-4dda-aec3-777788889999",
    ("azure", "SUBSCRIPTION_ID"): "0b1f6471-1bf0-4dda-aec3-111122223333",
    ("azure", "SCOPE"): "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/example-rg",
    ("azure", "FIRST_LINKED_SCOPE"): "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/example-rg",
    ("azure", "RESOURCE_GROUP"): "example-rg",
    ("azure", "AZURE_ROLE"): "Reader",
    ("azure", "LINKED_ROLE"): "Network Contributor",
    ("azure", "KEY_VAULT"): "example-kv",
    ("azure", "STORAGE_ACCOUNT"): "examplestorage",
    ("azure", "CLIENT_IP"): "203.0.113.10",
    ("azure", "ASSERTION_SUBJECT"): "repo:example-org/example-app:ref:refs/heads/main",
    ("azure", "POLICY_ASSIGNMENT_SCOPE"): "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333",
    ("azure", "POLICY_ASSIGNMENT_NAME"): "example-assignment",
    ("azure", "POLICY_DEFINITION_NAME"): "example-definition",
    ("azure", "CORRELATION_ID"): "0b1f6471-1bf0-4dda-aec3-aaaabbbbcccc",
    ("azure", "ACTION"): "Microsoft.Storage/storageAccounts/read",
    ("gcp", "REGION"): "us-central1",
    ("gcp", "POLICY_ID"): "123456789012",  # an access policy's number
    ("gcp", "SERVICE"): "storage.googleapis.com",
    ("aws", "SERVICE"): "s3",
    ("gcp", "RESOURCE"): "projects/example-project",
    ("aws", "RESOURCE"): "arn:aws:s3:::example-bucket/example-key",
    ("http", "RESOURCE"): "example-resource",
    ("gcp", "PRINCIPAL"): "user:someone@example.com",
    ("aws", "PRINCIPAL"): "arn:aws:iam::123456789012:user/example-user",
}


# By entry, where the entry says what a generic name holds (the old `<resource>`: a service account).
ENTRY_DUMMIES: Final[dict[tuple[str, str], str]] = {
    ("gcp.authz.service_account_impersonation", "RESOURCE"): f"projects/-/serviceAccounts/{_SA}",
}


def dummy(name: str, context: str = "aws") -> str:
    """Return a plausible value for a variable or fact name, of the shape its CLI argument expects.

    `context` is the entry id (or just its provider: aws, gcp, http).
    """
    key = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    provider = context.split(".", 1)[0]
    if (context, key) in ENTRY_DUMMIES:
        return ENTRY_DUMMIES[(context, key)]
    if (provider, key) in PROVIDER_DUMMIES:
        return PROVIDER_DUMMIES[(provider, key)]
    if key in DUMMIES:
        return DUMMIES[key]
    if key.endswith("_ARN") or key == "ARN":
        return "arn:aws:iam::123456789012:role/example-role"
    if key.endswith("_EMAIL"):
        return _SA if "SA" in key.split("_") else "someone@example.com"
    if key.endswith(("_URL", "_URI")):
        return "https://api.example.com/v1/items"
    if key.endswith("_PROJECT"):
        return "example-project"
    return "example-" + key.lower().replace("_", "-")[:40]  # bucket-ish: lowercase, digits, dashes


def fill_for_check(block: Block, context: str, data: tuple[str, ...] = ()) -> str:
    """Return the block with every template `<name>` replaced by its dummy (for the CLI check only).

    The placeholder check counts them; this lets the CLI see the arguments around them.
    """
    text = block.text
    out: list[str] = []
    position = 0
    for placeholder in angle_placeholders(block, data):
        out.append(text[position : placeholder.start])
        out.append(dummy(placeholder.name, context))
        position = placeholder.end
    out.append(text[position:])
    return "".join(out)
