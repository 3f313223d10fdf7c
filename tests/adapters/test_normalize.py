"""Payload normalisation: what terminals, loggers and chat windows do to an error is undone."""

from __future__ import annotations

import json

import pytest

from adapters.normalize import normalize


def test_normalize_crlf_becomes_lf() -> None:
    payload = normalize("HTTP/1.1 403 Forbidden\r\nServer: nginx\r\n\r\nForbidden")
    assert "\r" not in payload.text
    assert payload.status_code == 403
    assert payload.header("Server") == "nginx"


def test_normalize_strips_ansi_colour_and_hyperlinks() -> None:
    payload = normalize("\x1b[31mError:\x1b[0m \x1b]8;;https://x.io\x1b\\link\x1b]8;;\x1b\\ 403 Forbidden")
    assert payload.text == "Error: link 403 Forbidden"


def test_normalize_joins_terraform_gutter_paragraphs() -> None:
    # Terraform's diagnostic box with a hard-wrapped message (the shape of every provider error).
    pasted = (
        "╷\n"
        "│ Error: creating IAM Role (deploy): operation error IAM: CreateRole, https response error\n"
        "│ StatusCode: 403, RequestID: 1b2c, api error AccessDenied: User: arn:aws:iam::123456789012:user/ci\n"
        "│ is not authorized to perform: iam:CreateRole\n"
        "│ \n"
        "│   with aws_iam_role.deploy,\n"
        "╵"
    )
    payload = normalize(pasted)
    assert "│" not in payload.text and "╷" not in payload.text
    assert "user/ci is not authorized to perform: iam:CreateRole" in payload.text
    assert "StatusCode: 403, RequestID" in payload.text


def test_normalize_undoes_literal_escapes_from_a_log_line() -> None:
    payload = normalize('level=error msg="request failed:\\n403 Forbidden\\n\\tAccess denied"')
    assert "\n403 Forbidden\n\tAccess denied" in payload.text


def test_normalize_reads_json_given_as_object_as_string_and_as_json_string() -> None:
    body = {"error": "invalid_token", "error_description": "expired"}
    as_object = normalize(body)
    as_text = normalize(json.dumps(body))
    as_json_string = normalize(json.dumps(json.dumps(body)))
    assert as_object.data == as_text.data == as_json_string.data == body


def test_normalize_finds_json_embedded_in_a_transcript() -> None:
    payload = normalize('< HTTP/2 401\n< content-type: application/json\n\n{"message":"Bad credentials"}')
    assert payload.data == {"message": "Bad credentials"}
    assert payload.status_code == 401


def test_normalize_reads_curl_verbose_response_headers_only() -> None:
    transcript = (
        "> GET /user HTTP/2\n> Host: api.github.com\n> authorization: token [REDACTED]\n>\n"
        '< HTTP/2 401\n< WWW-Authenticate: Basic realm="GitHub"\n< X-GitHub-Request-Id: CA1B:2F3E\n'
    )
    payload = normalize(transcript)
    assert payload.header("www-authenticate") == 'Basic realm="GitHub"'
    assert payload.header("X-GITHUB-REQUEST-ID") == "CA1B:2F3E"
    assert payload.header("host") is None  # a request header, not the server's answer


def test_normalize_joins_folded_header_lines_and_repeated_challenges() -> None:
    raw = (
        "HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Negotiate\nWWW-Authenticate: NTLM\n"
        'Proxy-Thing: a,\n  b="c"\n\nbody'
    )
    payload = normalize(raw)
    assert payload.header("www-authenticate") == "Negotiate, NTLM"
    assert payload.header("proxy-thing") == 'a, b="c"'


def test_normalize_header_names_given_are_case_insensitive() -> None:
    payload = normalize("x", headers={"WWW-Authenticate": "Basic realm=x", "X-Amz-Request-Id": "ABC"})
    assert payload.header("www-authenticate") == "Basic realm=x"
    assert payload.header("x-amz-request-id") == "ABC"


def test_normalize_explicit_status_wins_over_text() -> None:
    assert normalize("HTTP/1.1 401 Unauthorized", status_code=403).status_code == 403


def test_normalize_parses_provider_xml() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        "<Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>"
    )
    payload = normalize("An error occurred:\n" + xml)
    assert payload.xml["Code"] == "AccessDenied"
    assert payload.xml["RequestId"] == "4442587FB7D0A2F9"


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            "<Error><Code>&lol2;</Code></Error>",
            id="entity-expansion",
        ),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<Error><Code>&xxe;</Code></Error>",
            id="external-entity",
        ),
    ],
)
def test_normalize_refuses_xml_entities(hostile: str) -> None:
    payload = normalize(hostile)
    assert payload.xml == {}
    assert "root:" not in payload.text


def test_normalize_survives_deep_json_nesting() -> None:
    payload = normalize("[" * 50_000 + "]" * 50_000)
    assert payload.data is None or isinstance(payload.data, list)


def test_normalize_flat_text_folds_wrapped_lines() -> None:
    assert normalize("Access to fetch at\n   'https://a'").flat == "Access to fetch at 'https://a'"


def test_normalize_redacts_before_anything_reads_the_text() -> None:
    payload = normalize({"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"})
    assert "abcdefghijklmnop" not in payload.text
    assert "abcdefghijklmnop" not in json.dumps(payload.data)


# Every decoding step is followed by redaction: a secret hidden by an escape is found once decoded.
@pytest.mark.parametrize(
    ("pasted", "secret"),
    [
        pytest.param(
            '"401 Client Error: Unauthorized for url: https://api.example.com/cb?t='
            '\\u0065yJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.U0lHTkFUVVJFMTIz"',
            "U0lHTkFUVVJFMTIz",
            id="json-string-with-a-unicode-escaped-jwt",
        ),
        pytest.param(
            '"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:GetObject on resource: '
            'arn:aws:s3:::b/\\u0041KIAZ6MKV3WQ2EXAMPLE"',
            "Z6MKV3WQ2EXAMPLE",
            id="json-string-with-an-escaped-access-key",
        ),
        pytest.param(
            '{"level":"error","msg":"GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02\\u0026sig=Zm9vYmFyU2lnbmF0dXJl 403"}',
            "Zm9vYmFyU2lnbmF0dXJl",
            id="go-json-log-with-an-escaped-ampersand",
        ),
        pytest.param(
            '{"__type": "com.amazon.coral#gh\\u0070_16C7e42F292c6912E7710c838347Ae178B4a", "message": "denied"}',
            "16C7e42F292c6912E7710c",
            id="escaped-token-in-an-aws-type",
        ),
        pytest.param(
            'ERROR body="{\\"message\\": \\"denied\\", \\"password\\": \\"correct horse battery\\"}"',
            "horse battery",
            id="escaped-json-log-line",
        ),
        pytest.param(
            "<Error><Code>AccessDenied</Code><Message>key &#65;KIAZ6MKV3WQ2EXAMPLE</Message></Error>",
            "Z6MKV3WQ2EXAMPLE",
            id="xml-character-reference",
        ),
    ],
)
def test_normalize_redacts_after_every_decoding_step(pasted: str, secret: str) -> None:
    payload = normalize(pasted)
    seen = json.dumps([payload.text, payload.flat, payload.data, payload.xml, payload.headers], ensure_ascii=False)
    assert secret not in seen


def test_normalize_walks_decoded_json_values() -> None:
    body = {"error": {"message": "denied", "password": "correct horse battery", "debug": {"token": "9Fd8Gh7Jk6"}}}
    payload = normalize(body)
    assert payload.data["error"]["message"] == "denied"
    seen = json.dumps(payload.data)
    assert "horse battery" not in seen and "9Fd8Gh7Jk6" not in seen


def test_normalize_redacts_secret_headers_given_apart() -> None:
    payload = normalize("HTTP/1.1 401", headers={"Cookie": "sid=Q9w8E7r6T5y4", "X-Auth-Token": "Zx9Cv8Bn7M"})
    assert payload.header("cookie") == "[REDACTED]"
    assert payload.header("x-auth-token") == "[REDACTED]"
