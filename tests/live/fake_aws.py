"""A loopback stand-in for the AWS query APIs (STS, IAM): answers a few actions, records every request.

Reached through AWS_ENDPOINT_URL, as the security review's stand-in endpoint was: it logs each
Action and its parameters, so a test can say which calls the server's credentials were spent on.
It answers GetCallerIdentity for account 123456789012 and GetRole with a trust policy holding an
ExternalId (what must never come back in a response); any other action gets an error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

ACCOUNT = "123456789012"
EXTERNAL_ID = "ext-7f3a9c-do-not-leak"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
        }
    ],
}


def _answer(action: str, params: dict[str, str]) -> tuple[int, str]:
    if action == "GetCallerIdentity":
        return 200, (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>arn:aws:iam::{ACCOUNT}:user/whydenied-server</Arn><UserId>AIDAEXAMPLE</UserId>"
            f"<Account>{ACCOUNT}</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
    if action == "GetRole":
        name = params.get("RoleName", "")
        return 200, (
            '<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>'
            f"<Path>/</Path><RoleName>{name}</RoleName><RoleId>AROAEXAMPLEEXAMPLE1</RoleId>"
            f"<Arn>arn:aws:iam::{ACCOUNT}:role/{name}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
            f"<AssumeRolePolicyDocument>{quote(json.dumps(TRUST))}</AssumeRolePolicyDocument>"
            "</Role></GetRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></GetRoleResponse>"
        )
    return 400, (
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not in the stand-in</Message>"
        "</Error><RequestId>3</RequestId></ErrorResponse>"
    )


@contextmanager
def fake_aws() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Serve on a free port of 127.0.0.1; yield its URL and the list of requests it received."""
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            params = dict(parse_qsl(body))
            received.append(params)
            status, xml = _answer(params.get("Action", ""), params)
            payload = xml.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
