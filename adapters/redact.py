"""Secret redaction: applied to every pasted text before anything reads, stores or echoes it.

A secret is found in the text as pasted and in the text as decoded: pastes are often encoded
copies (a JSON log line's `\\u0026` and `\\/`, a URL's `%3D`, an HTML page's `&amp;`), so the text
is also read through those escapes (two levels deep) and what is found there is cut from the
text as pasted. A run of base64 that decodes to text holding a secret is cut whole. `normalize`
redacts again after each decoding step of its own and walks decoded JSON (`redact_json`), so
nothing an adapter reads comes from text that was not redacted.

Each pattern is linear-time (no nested quantifiers over the same text; a pattern that can start
inside a run of its own characters starts only at the run's beginning) and keeps enough of the
secret's shape to stay diagnostic (an AWS key's AKIA/ASIA prefix says long-term vs temporary
credentials; a label says what was there) while dropping the secret itself. Literal hints gate
each pattern: most pastes hold no secret, and then only the hints are looked for.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from operator import add
from typing import Any, Final

from adapters.lazyre import lazy_compile

_R: Final = "[REDACTED]"

# Labels whose value is a secret wherever it is written: `label=value`, `label: value`,
# "label": "value", <Label>value</Label>. Matched inside longer names too (DB_PASSWORD, old_password).
_LABELS: Final = (
    r"password|passwd|passphrase|client[_-]?secret|api[_-]?key|x-api-key|private[_-]?key[_-]?id|private_key"
    r"|refresh[_-]?token|access[_-]?token|id_token|auth[_-]?token|session[_-]?token|security[_-]?token"
    r"|secret[_-]?access[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|webhook[_-]?secret|signing[_-]?secret"
)
# Names that are secrets only as a quoted key of JSON or a dict ("token": ..., 'secret': ...): in
# prose these words are everywhere ("invalid token: expired").
_KEY_LABELS: Final = r"secret|token|auth|identitytoken|registrytoken|apitoken|pass|pwd"
# Request headers whose whole value is a credential.
_HEADER_LABELS: Final = (
    r"set-cookie|cookie|x-auth-token|x-access-token|x-api-key|x-goog-api-key|private-token|x-vault-token"
    r"|x-amz-security-token|x-functions-key|ocp-apim-subscription-key|x-csrf-token|x-xsrf-token"
)
# A value: a quoted string (escapes, spaces and all) or a bare word up to a separator (not a JSON
# literal: `"password": null` stays valid JSON).
_VALUE: Final = (
    r"(?:\"(?P<s1>(?:[^\"\\\r\n]|\\.){1,4096})|'(?P<s2>(?:[^'\\\r\n]|\\.){1,4096})"
    r"|(?!(?:null|true|false)\b)(?P<s3>[^\s\"',;&{}\[<>\\][^\s\"',;&{}<>]{0,4095}))"
)


class _Kind:
    """One kind of secret: the pattern (group s, s1, s2 or s3 is the secret, else the whole match)."""

    __slots__ = ("folded", "hints", "marker", "name", "pattern")

    def __init__(self, name: str, regex: str, hints: tuple[str, ...], marker: str = _R, caseless: bool = False):
        self.name = name
        self.hints = hints  # lower-case literals one of which every match contains
        self.marker = marker
        # A caseless pattern's literals are written in lower case and it runs on the lower-cased
        # text (several times faster than IGNORECASE); when lower-casing changed the text's length
        # (a few non-ASCII letters), it runs with IGNORECASE on the text itself.
        self.folded = lazy_compile(regex) if caseless else None
        self.pattern = lazy_compile(regex, re.IGNORECASE if caseless else 0)


_KINDS: Final[tuple[_Kind, ...]] = (
    # -----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY----- (PEM, OpenSSH, PGP armour):
    # the body is cut up to the END line, or to the end of the base64 when the paste lost it.
    _Kind(
        "private-key",
        (
            r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----(?P<s>(?:"
            # a line break (or an escaped one, in JSON), with an armour header line after it
            r"(?:\r?\n|(?:\\{1,3}r)?\\{1,3}n)(?:[ \t]{0,8}(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset): "
            r"[^\r\n\\]{0,256})?"
            # base64: a long run, or the short last one of a line or of the block
            r"|[A-Za-z0-9+/=]{16,4096}+|[A-Za-z0-9+/=]{1,15}+(?=[ \t]{0,8}(?:\r|\n|\\|-----|[\"']|$))"
            r"|[ \t]{1,8}){1,65536}+)"
        ),
        ("private key",),
    ),
    # eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl (a JWT): starts only where a run starts
    _Kind(
        "jwt",
        (r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}+\.[A-Za-z0-9_-]{2,16384}+\.[A-Za-z0-9_-]{0,4096}+"),
        ("eyj",),
        "[REDACTED:jwt]",
    ),
    # Authorization: <any scheme> <credentials> (Bearer, Token, SSWS, ...), or a bare credential;
    # not an auth-param list (SigV4's Credential=..., Digest's username=...), whose Signature= is cut below
    _Kind(
        "authorization",
        (
            r"(?<![A-Za-z0-9_-])(?:proxy-)?authorization[\"']?[ \t]{0,8}[:=][ \t]{0,8}"
            r"(?:\[[ \t]{0,8}(?=[\"']))?[\"']?"  # "Authorization": ["Bearer ..."]
            # a scheme and its credentials, not an auth-param list
            r"(?:[A-Za-z][A-Za-z0-9_.-]{0,30}[ \t]{1,8}(?![A-Za-z][A-Za-z0-9_-]{0,64}=[^=\s,])"
            r"(?P<s1>[^\s\"',;\[][^\s\"',;]{3,8191}+)"
            # or a credential alone (not a scheme's name)
            r"|(?!(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)(?![A-Za-z0-9_.-]))"
            r"(?P<s2>[^\s\"',;\[][^\s\"',;]{3,8191}+)(?![ \t]{1,8}[^\s]))"
        ),
        ("authorization",),
        caseless=True,
    ),
    # Bearer 8d4f... / Bearer ya29.a0Af... wherever written (not `Bearer realm="x"`)
    _Kind(
        "bearer",
        (r"(?<![A-Za-z0-9_-])bearer[ \t]{1,8}(?![A-Za-z_]{1,64}=\")(?P<s>[A-Za-z0-9._~+/-]{12,8192}+=*)"),
        ("bearer",),
        caseless=True,
    ),
    # Basic dXNlcjpwYXNz (not `Basic realm="x"`)
    _Kind(
        "basic",
        (r"(?<![A-Za-z0-9_-])basic[ \t]{1,8}(?![A-Za-z_]{1,64}=)(?P<s>[A-Za-z0-9+/]{8,8192}+=*)"),
        ("basic",),
        caseless=True,
    ),
    # Cookie: a=b; c=d / Set-Cookie: ... / X-Auth-Token: ... : the whole header value
    _Kind(
        "secret-header",
        (
            rf"(?<![A-Za-z0-9_-])(?:{_HEADER_LABELS})[\"']?[ \t]{{0,8}}:[ \t]{{0,8}}[\"']?"
            r"(?P<s>[^\s\"'\\][^\r\n\"'\\]{0,8191})"
        ),
        ("cookie", "token", "key"),
        caseless=True,
    ),
    # AKIAIOSFODNN7EXAMPLE / ASIA... : keep the 4-letter prefix, it tells the key type
    _Kind(
        "aws-access-key",
        (r"\b(?:AKIA|ASIA|AROA|AIDA)(?P<s>[A-Z0-9]{16})\b"),
        ("akia", "asia", "aroa", "aida"),
    ),
    # "password": "correct horse", password=hunter2, api_key: x, AccountKey=...; (a JSON log line's
    # escaped quotes are read through the decoded view)
    _Kind(
        "named-secret",
        (rf"(?:{_LABELS})[\"']?[ \t]{{0,8}}[:=]>?[ \t]{{0,8}}{_VALUE}"),
        ("pass", "secret", "key", "token"),
        caseless=True,
    ),
    # "token": "...", 'secret': '...' : generic names, only as quoted keys
    _Kind(
        "named-key",
        (rf"[\"'](?:{_KEY_LABELS})[\"'][ \t]{{0,8}}:[ \t]{{0,8}}{_VALUE}"),
        ("secret", "token", "auth", "pass", "pwd"),
        caseless=True,
    ),
    # <SecretAccessKey>...</SecretAccessKey>, <Password>...</Password>
    _Kind(
        "xml-secret",
        (rf"<(?:[A-Za-z]{{1,20}}:)?(?:{_LABELS})>(?P<s>[^<]{{1,8192}})"),
        ("pass", "secret", "key", "token"),
        caseless=True,
    ),
    # Signature=... wherever written (SigV4's Authorization header, presigned URLs), sig= (Azure SAS)
    _Kind(
        "signature",
        (r"(?<![A-Za-z0-9_-])(?:x-amz-signature|x-goog-signature|signature|sig)=(?P<s>[^&\s\"'<>,;\\]{1,8192})"),
        ("sig",),
        caseless=True,
    ),
    # ?X-Amz-Credential=...&token=...&private_token=... : query parameters that carry a credential
    _Kind(
        "url-parameter",
        (
            r"[?&](?:x-amz-security-token|x-amz-credential|x-goog-credential|access_token|token|key|api_key"
            r"|apikey|code|private_token|auth|client_secret|password|refresh_token|id_token)="
            r"(?P<s>[^&#\s\"'<>\\]{1,8192})"
        ),
        ("token=", "key=", "credential=", "code=", "auth=", "secret=", "password="),
        caseless=True,
    ),
    # AIzaSyD... (Google API key)
    _Kind("google-api-key", (r"\bAIza(?P<s>[0-9A-Za-z_-]{35})\b"), ("aiza",)),
    # ya29.a0AfH6SM... (Google OAuth access token)
    _Kind("google-oauth", (r"\bya29\.(?P<s>[0-9A-Za-z_-]{20,4096})"), ("ya29.",)),
    # GOCSPX-... (Google OAuth client secret)
    _Kind("google-client-secret", (r"\bGOCSPX-(?P<s>[0-9A-Za-z_-]{20,128})"), ("gocspx-",)),
    # ghp_xxx, gho_, ghu_, ghs_, ghr_, github_pat_xxx
    _Kind(
        "github-token",
        (r"\b(?:gh[pousr]_|github_pat_)(?P<s>[A-Za-z0-9_]{20,255})"),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    # Azure AD client secret values: 3 characters, a digit, "Q~", 31-40 more (Microsoft's format)
    _Kind("azure-client-secret", (r"\b[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,40}"), ("q~",)),
    # https://user:password@host/, https://:password@host : keep the user; the password may hold
    # "@" and "/" (it ends at the last "@" before the host), but is not a port and a path
    _Kind(
        "url-password",
        (
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@?#\"'<>`]{0,128}:(?!\d{1,5}(?:[/?#\"'<>\s]|$))"
            r"(?P<s>[^\s\"'<>?#`]{1,128})@(?=[A-Za-z0-9\[])"
        ),
        ("://",),
    ),
    # wdk_... (whydenied's own API keys, from `whydenied keys create`)
    _Kind("whydenied-key", (r"\bwdk_(?P<s>[A-Za-z0-9_-]{20,256})"), ("wdk_",)),
    # glpat-xxxxxxxxxxxxxxxxxxxx (GitLab)
    _Kind("gitlab-token", (r"\bglpat-(?P<s>[A-Za-z0-9_-]{16,256})"), ("glpat-",)),
    # xoxb-123-456-abc (Slack)
    _Kind("slack-token", (r"\bxox[abposre]-(?P<s>[A-Za-z0-9-]{10,512})"), ("xox",)),
    # https://hooks.slack.com/services/T.../B.../secret (Slack incoming webhooks, workflows)
    _Kind(
        "slack-webhook",
        (r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_-]{8,512})"),
        ("hooks.slack.com",),
    ),
    # sk_live_..., rk_live_..., whsec_... (Stripe), sk-proj-... (OpenAI-style secret keys)
    _Kind(
        "secret-key",
        (r"\b(?:(?:sk|rk)_(?:live|test)_|whsec_|sk-(?:proj-)?)(?P<s>[A-Za-z0-9_-]{16,256})"),
        ("sk_", "rk_", "sk-", "whsec_"),
    ),
)

_SECRET_GROUPS: Final = ("s", "s1", "s2", "s3")
# Each hint with the kinds it gates: each hint is looked for once, however many kinds share it.
_KINDS_BY_HINT: Final = tuple(
    (hint, tuple(index for index, kind in enumerate(_KINDS) if hint in kind.hints))
    for hint in sorted({hint for kind in _KINDS for hint in kind.hints})
)

# Escapes the text is also read through: JSON's \uXXXX and \/ \" \\ \n, URL percent-encoding,
# HTML character references (`&amp;`, `&#x41;`, `&#65;`).
# One group around the whole: `split` then keeps each escape between the texts.
_ESCAPE_SPLIT: Final = lazy_compile(
    r"(\\u[0-9A-Fa-f]{4}|\\[\\/\"'nrtbf]|%[0-9A-Fa-f]{2}|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_SIMPLE_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_DECODE_LEVELS: Final = 2  # a JSON string inside a JSON string is escaped twice
# Base64 runs (standard or URL-safe); a run is taken whole (possessive), so each is tried once
_BASE64_MIN: Final = 16
_BASE64: Final = lazy_compile(r"[A-Za-z0-9+/_-]{16,8192}+={0,2}")
_UNPRINTABLE: Final = lazy_compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Names of JSON/XML keys and headers (lower-case, without - and _) whose whole value is a secret.
_SECRET_NAMES: Final = frozenset(
    {
        "password", "passwd", "passphrase", "pass", "pwd", "secret", "clientsecret", "token", "accesstoken",
        "refreshtoken", "idtoken", "authtoken", "sessiontoken", "securitytoken", "xamzsecuritytoken", "apikey",
        "xapikey", "xgoogapikey", "privatekey", "privatekeyid", "secretaccesskey", "awssecretaccesskey",
        "awssessiontoken", "accountkey", "sharedaccesskey", "auth", "identitytoken", "registrytoken",
        "authorization", "proxyauthorization", "cookie", "setcookie", "xauthtoken", "xaccesstoken",
        "privatetoken", "xvaulttoken", "signature", "xamzsignature", "xgoogsignature", "credential",
        "webhooksecret", "signingsecret", "xfunctionskey", "ocpapimsubscriptionkey", "xcsrftoken", "xxsrftoken",
    }
)  # fmt: skip

Span = tuple[int, int, str]


def redact(text: str) -> str:
    """Return the text with every known kind of secret replaced by a [REDACTED] marker."""
    spans = _secret_spans(text, nested=False)
    return _cut(text, spans) if spans else text


def redact_header(name: str, value: str) -> str:
    """Return a header's value redacted, read with its name (`Cookie`, `X-Auth-Token` are secrets whole)."""
    if _key(name) in _SECRET_NAMES and name.lower() not in ("authorization", "proxy-authorization"):
        return _R if value.strip() else value
    line = f"{name}: {value}"
    redacted = redact(line)
    if redacted == line:
        if _key(name) not in _SECRET_NAMES or not value.strip():
            return value
        scheme, _, credentials = value.strip().partition(" ")  # Digest username=..., an unknown scheme
        return f"{scheme} {_R}" if credentials else _R
    head = f"{name}: "
    return redacted[len(head) :] if redacted.startswith(head) else redact(value)


def redact_json(data: Any) -> Any:
    """Return decoded JSON with every string (keys too) redacted and values under secret-named keys cut.

    Walks with its own stack (a deep document does not recurse); containers are copied, not
    changed. The strings are read in one pass (joined, one per line) and only those a secret
    touches are redacted on their own: a body of thousands of short strings costs one scan.
    """
    if data is None:
        return None  # most pastes hold no JSON: nothing to walk
    root: list[Any] = [data]
    stack: list[tuple[Any, Any]] = [(root, 0)]  # (container, key) of a value still to walk
    values: list[tuple[Any, Any]] = []  # (container, key) of each string value
    names: list[tuple[dict[Any, Any], str]] = []  # each string key, with its (copied) dict
    while stack:
        container, key = stack.pop()
        value = container[key]
        if isinstance(value, str):
            values.append((container, key))
        elif isinstance(value, dict):
            copied: dict[Any, Any] = {}
            for name, item in value.items():
                secret = isinstance(name, str) and _key(name) in _SECRET_NAMES
                if isinstance(name, str):
                    names.append((copied, name))
                if secret and isinstance(item, str | int | float) and not isinstance(item, bool):
                    copied[name] = _R
                else:
                    copied[name] = item
                    if isinstance(item, str | dict | list):
                        stack.append((copied, name))
            container[key] = copied
        elif isinstance(value, list):
            items = list(value)
            container[key] = items
            stack.extend((items, index) for index, item in enumerate(items) if isinstance(item, str | dict | list))
    texts = [container[key] for container, key in values] + [name for _, name in names]
    touched = _touched(texts)
    for index in sorted(index for index in touched if index < len(values)):
        container, key = values[index]
        container[key] = redact(container[key])
    renamed: dict[int, tuple[dict[Any, Any], dict[str, str]]] = {}
    for index in sorted(index - len(values) for index in touched if index >= len(values)):
        owner, name = names[index]
        renamed.setdefault(id(owner), (owner, {}))[1][name] = redact(name)
    for owner, new_names in renamed.values():
        items = list(owner.items())
        owner.clear()
        owner.update((new_names.get(name, name), item) for name, item in items)
    return root[0]


def _touched(texts: list[str]) -> set[int]:
    """Return the indexes of the texts that a secret found in them, joined one per line, touches."""
    if not texts:
        return set()
    starts: list[int] = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text) + 1
    touched: set[int] = set()
    for start, end, _ in _secret_spans("\n".join(texts), nested=False):
        first = bisect_right(starts, start) - 1
        last = bisect_right(starts, max(start, end - 1)) - 1
        touched.update(range(max(first, 0), last + 1))
    return touched


def is_secret_name(name: str) -> bool:
    """Say whether a key, tag or header of this name holds a secret as its whole value."""
    return _key(name) in _SECRET_NAMES


def secret_kinds() -> tuple[str, ...]:
    """Return the names of the secret kinds redacted, for documentation and tests."""
    return (*(kind.name for kind in _KINDS), "base64-wrapped")


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def _secret_spans(text: str, nested: bool) -> list[Span]:
    """Return the spans of the text that hold a secret, as pasted or once decoded."""
    spans = _pattern_spans(text, nested)
    view = text
    maps: list[_Map] = []
    for _ in range(_DECODE_LEVELS):
        decoded = _decode(view)
        if decoded is None:
            break
        view, mapping = decoded
        maps.append(mapping)
        for start, end, marker in _pattern_spans(view, nested):
            for back in reversed(maps):
                start, end = back.start(start), back.end(end)
            spans.append((start, end, marker))
    return spans


def _pattern_spans(text: str, nested: bool) -> list[Span]:
    spans: list[Span] = []
    lowered = text.lower()
    hinted = {index for hint, kinds in _KINDS_BY_HINT if hint in lowered for index in kinds}
    if hinted:
        folded = len(lowered) == len(text)  # one character for one: positions carry over
        for index in sorted(hinted):
            kind = _KINDS[index]
            if kind.folded is not None and folded:
                matches = kind.folded.finditer(lowered)
            else:
                matches = kind.pattern.finditer(text)
            spans += [(*_secret_of(match), kind.marker) for match in matches]
    if not nested and len(text) >= _BASE64_MIN:
        spans += _base64_spans(text)
    return spans


def _secret_of(match: re.Match[str]) -> tuple[int, int]:
    groups = match.re.groupindex
    for name in _SECRET_GROUPS:
        if name in groups and match.start(name) >= 0:
            return match.start(name), match.end(name)
    return match.start(), match.end()


def _base64_spans(text: str) -> Iterator[Span]:
    """Yield the base64 runs that decode to text holding a secret (a credentials file, user:password)."""
    for match in _BASE64.finditer(text):
        decoded = _base64_text(match.group())
        if decoded is not None and _secret_spans(decoded, nested=True):
            yield match.start(), match.end(), _R


def _base64_text(run: str) -> str | None:
    core = run.rstrip("=")
    if len(core) % 4 == 1:
        return None
    try:
        raw = base64.b64decode(core.replace("-", "+").replace("_", "/") + "=" * (-len(core) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return None if _UNPRINTABLE.search(decoded) else decoded


class _Map:
    """Positions in a decoded text back to the text it was decoded from.

    Built from the split of the source (text, escape, text, ... text) and the decoded escapes. The
    position tables are computed only when asked: a secret found in a decoded view is rare, and a
    64 KiB paste can hold 30,000 escapes whose tables would cost more than the decoding.
    """

    def __init__(self, pieces: list[str], escapes: list[str], decoded: list[str]) -> None:
        self._pieces = pieces  # the source's text between escapes (one more than the escapes)
        self._escapes = escapes
        self._decoded_escapes = decoded
        self._tables: tuple[list[int], list[int], list[int], list[int]] | None = None

    def _built(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Return (where each escape's output starts in the decoded text, where the escape starts in
        the source, each output's length, each escape's length), computing them on first use."""
        if self._tables is None:
            raw_len = list(map(len, self._escapes))
            decoded_len = list(map(len, self._decoded_escapes))
            piece_len = list(map(len, self._pieces))
            # The k-th escape starts after pieces 0..k and escapes 0..k-1, in either text.
            raw = list(accumulate(map(add, piece_len, [0, *raw_len])))
            decoded = list(accumulate(map(add, piece_len, [0, *decoded_len])))
            self._tables = decoded[: len(raw_len)], raw[: len(raw_len)], decoded_len, raw_len
        return self._tables

    def start(self, position: int) -> int:
        """The source position of the decoded character at `position` (an escape's first character)."""
        decoded, raw, decoded_len, raw_len = self._built()
        index = bisect_right(decoded, position) - 1
        if index < 0:
            return position
        inside = position - decoded[index]
        if inside < decoded_len[index]:
            return raw[index]
        return raw[index] + raw_len[index] + inside - decoded_len[index]

    def end(self, position: int) -> int:
        """The source position just after the decoded text ending at `position` (exclusive)."""
        if position <= 0:
            return position
        decoded, raw, decoded_len, raw_len = self._built()
        index = bisect_right(decoded, position - 1) - 1
        if index < 0:
            return position
        inside = position - 1 - decoded[index]
        if inside < decoded_len[index]:
            return raw[index] + raw_len[index]
        return raw[index] + raw_len[index] + inside - decoded_len[index] + 1


def _decode(text: str) -> tuple[str, _Map] | None:
    """Return the text with its escapes decoded and the map back, or None when it holds none."""
    if "\\" not in text and "%" not in text and "&" not in text:
        return None
    # One split (C) gives text, escape, text, ...; each distinct escape is decoded once and the rest
    # looked up (C): a 64 KiB paste can hold 30,000 escapes, most alike.
    parts = _ESCAPE_SPLIT.split(text)
    if len(parts) == 1:
        return None
    pieces, escapes = parts[0::2], parts[1::2]
    table = {escape: _unescape(escape) for escape in set(escapes)}
    decoded = list(map(table.__getitem__, escapes))
    parts[1::2] = decoded
    return "".join(parts), _Map(pieces, escapes, decoded)


def _unescape(escape: str) -> str:
    if escape[0] == "%":
        return chr(int(escape[1:], 16))
    if escape[0] == "&":
        return html.unescape(escape)
    if escape[1] == "u":
        return chr(int(escape[2:], 16))
    return _SIMPLE_ESCAPES.get(escape[1], escape[1])


def _cut(text: str, spans: list[Span]) -> str:
    """Replace the spans (merged where they overlap) with their markers."""
    out: list[str] = []
    position = 0
    merged_start, merged_end, marker = -1, -1, _R
    for start, end, span_marker in sorted(spans):
        if start >= end:
            continue
        if start < merged_end:  # overlaps the current one: extend it
            if end > merged_end:
                merged_end = end
            continue
        if merged_end > 0:
            out += [text[position:merged_start], marker]
            position = merged_end
        merged_start, merged_end, marker = start, end, span_marker
    if merged_end > 0:
        out += [text[position:merged_start], marker]
        position = merged_end
    out.append(text[position:])
    return "".join(out)
