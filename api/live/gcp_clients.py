"""Google API clients for the live checks: the user's Application Default Credentials, bounded.

Finding credentials can stall (on a machine that is not on Google Cloud, google-auth pings the
metadata server with retries), and refreshing a token uses an HTTP client whose default timeout
is minutes; both run here under the check's own deadline. `WHYDENIED_GCP_EMULATOR_HOST=host:port`
points every client at a plaintext gRPC stand-in with anonymous credentials (tests, a recording
proxy), in the manner of Google's own `*_EMULATOR_HOST` variables.

The credentials' project (what google.auth.default() finds: GOOGLE_CLOUD_PROJECT, the key file's
project, gcloud's) comes along: on a server, the checks answer for that project only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

import grpc
from google.auth import default as default_credentials
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError, RefreshError, TransportError
from google.auth.transport.requests import Request

from adapters.redact import redact

EMULATOR_ENV: Final = "WHYDENIED_GCP_EMULATOR_HOST"
SCOPES: Final = ("https://www.googleapis.com/auth/cloud-platform",)
T = TypeVar("T")


class CredentialsUnavailable(Exception):
    """No usable Google credentials, said in a sentence for the check's summary."""


class _BoundedRequest(Request):
    """google-auth's HTTP request with the check's timeout on every call (token refresh included)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def __call__(
        self, url: Any, method: Any = "GET", body: Any = None, headers: Any = None, timeout: Any = None, **kwargs: Any
    ) -> Any:
        return super().__call__(  # type: ignore[no-untyped-call]
            url, method=method, body=body, headers=headers, timeout=self._timeout, **kwargs
        )


class GoogleClients:
    """Makes clients that share one set of credentials (or one emulator channel), and closes them."""

    def __init__(self, credentials: Credentials, emulator: str | None = None, project: str | None = None) -> None:
        self.credentials = credentials
        self.emulator = emulator
        self.project = project  # the credentials' own project, when they name one
        self._made: list[Any] = []

    def make(self, client_class: Any) -> Any:
        """Return a client of `client_class` (a GAPIC client) over gRPC."""
        if self.emulator:
            transport = client_class.get_transport_class("grpc")(channel=grpc.insecure_channel(self.emulator))
            client = client_class(transport=transport)
        else:
            client = client_class(credentials=self.credentials)
        self._made.append(client)
        return client

    def close(self) -> None:
        """Close every channel opened by `make`."""
        for client in self._made:
            client.transport.close()
        self._made.clear()


def google_clients(timeout: float) -> GoogleClients:
    """Return clients on the user's credentials; raise CredentialsUnavailable with the reason."""
    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:  # the variables google.auth.default() itself reads first
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT") or None
        return GoogleClients(AnonymousCredentials(), emulator, project)  # type: ignore[no-untyped-call]
    credentials, project = _within(timeout, lambda: _discover(timeout))
    return GoogleClients(credentials, project=project)


def _discover(timeout: float) -> tuple[Credentials, str | None]:
    try:
        credentials, project = default_credentials(scopes=list(SCOPES))
        credentials.refresh(_BoundedRequest(timeout))  # type: ignore[no-untyped-call]
    except DefaultCredentialsError:
        raise CredentialsUnavailable(
            "No Google credentials found (run `gcloud auth application-default login`, or set "
            "GOOGLE_APPLICATION_CREDENTIALS)."
        ) from None
    except RefreshError as exc:
        raise CredentialsUnavailable(f"Google refused the credentials: {redact(str(exc))[:200]}") from None
    except TransportError:
        raise CredentialsUnavailable("Google's token endpoint could not be reached.") from None
    return credentials, project


def _within(timeout: float, work: Callable[[], T]) -> T:
    """Run `work` on a daemon thread and give up after `timeout` seconds (the thread is left to finish)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed back to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name="whydenied-gcp-credentials", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise CredentialsUnavailable(f"Looking for Google credentials took longer than {timeout:g} s.")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
