"""The MCP server: diagnosis, search and the guidance entries as tools and resources for chat clients.

One definition, two transports: Streamable HTTP mounted in the app at /mcp/ (stateless, JSON
responses; see `streamable_http_app`) and stdio (`whydenied mcp`, with `stdio_state`). The tools
read the service's state through `get_state`, called on each request, so the server can be built
before a lifespan has loaded the catalogue.

Nothing from a paste is logged: the server logs at WARNING, and tool errors never quote the paste.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Protocol

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, InputRequiredResult, Resource, TextContent, ToolAnnotations
from pydantic import Field, ValidationError
from starlette.applications import Starlette

from api.catalog import Catalog
from api.formats import to_markdown
from api.ratelimit import RateLimitUnavailable, client_key
from api.schemas import DiagnoseRequest, DiagnoseResponse, SearchHitResponse
from api.search import SearchIndex
from api.services.diagnosis import diagnose_request
from api.services.least_privilege import IamActionIndex
from api.settings import Settings

ENTRY_URI: Final = "whydenied://entries/{id}"
_READ_ONLY: Final = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
_LOOPBACK: Final = ("127.0.0.1", "localhost", "[::1]")
_ARGUMENT_NAME: Final = re.compile(r"[a-z_]{1,32}")

INSTRUCTIONS: Final = """\
whydenied explains access failures: AWS AccessDenied / UnauthorizedOperation, GCP PERMISSION_DENIED,
HTTP 401/403, OAuth errors, CORS errors, as CLI output, SDK tracebacks, Terraform output, JSON/XML
bodies or CloudTrail / Cloud Audit Log records. When the user shows such an error, call `diagnose`
with the error text exactly as pasted. Use `search` to find guidance by error code or words when
there is no error text, and `get_entry` to read one entry in full."""


class ServiceState(Protocol):
    """What the tools read: the app's `app.state` once its lifespan ran, or `stdio_state()`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def search(self) -> SearchIndex: ...

    @property
    def iam_index(self) -> IamActionIndex | Callable[[], IamActionIndex]: ...


class _Server(MCPServer[Any]):
    """MCPServer whose resource listing names every entry (the catalogue is only known at run time)."""

    def __init__(self, get_state: Callable[[], ServiceState], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._get_state = get_state

    async def list_resources(self) -> list[Resource]:
        """Return the static resources, then one Markdown resource per guidance entry."""
        catalog = self._get_state().catalog
        entries = [
            Resource(
                uri=ENTRY_URI.format(id=entry_id),
                name=entry_id,
                title=compiled.entry.title,
                description=compiled.entry.summary,
                mime_type="text/markdown",
            )
            for entry_id, compiled in sorted(catalog.entries.items())
        ]
        return [*await super().list_resources(), *entries]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Call a tool; when the SDK refuses its arguments, say which and why without their values.

        The SDK checks the arguments against the tool's signature before the tool runs, and its
        message quotes what it refused (`input_value=['Bearer ...']`): a paste, maybe a secret.
        """
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(f"Error executing tool {name}: Invalid arguments: {_errors(exc.__cause__)}") from None
            raise


def create_mcp_server(get_state: Callable[[], ServiceState], version: str = "") -> MCPServer[Any]:
    """Build the server: tools `diagnose`, `search`, `get_entry`; entries as resources."""
    server = _Server(
        get_state,
        name="whydenied",
        title="whydenied",
        version=version,
        instructions=INSTRUCTIONS,
        log_level="WARNING",  # tool failures are logged at INFO; keep them (and anything near a paste) out
    )

    @server.tool(
        title="Diagnose an access failure",
        description=(
            "Diagnose an access failure that the user pasted: an AWS AccessDenied / UnauthorizedOperation, a GCP "
            "PERMISSION_DENIED, an HTTP 401/403, an OAuth or CORS error, CLI output, an SDK traceback, Terraform "
            "output, a JSON/XML error body or a CloudTrail / Cloud Audit Log record. Pass the error text exactly "
            "as pasted, whole and unedited: do not summarise, paraphrase or trim it (request ids, ARNs, policy "
            "names and encoded messages in it are the evidence). Secrets in it are redacted before it is read.\n\n"
            "Returns JSON: `provider`, `category` (authentication, authorization or other), `reason` (a stable id "
            "such as aws.authz.explicit_deny.scp; null when the text is not an access failure, with `note` saying "
            "what it is instead), `confidence` (0-1), `facts` read from the text (principal, action, resource, "
            "policy ARN, ...), `findings` (each with whether the text stated it or it was inferred) and "
            "`guidance`: what it means, likely causes, diagnosis/fix/verify steps with shell commands already "
            "filled in from the facts (a fact the text did not state shows as <name> and is listed in "
            "`missing_facts`), `trace` (the policy layers in evaluation order, the one that said no marked), "
            "`identity` (who really made the call: the role behind a session, an impersonation chain, session "
            "tags, MFA, each with why it matters) and where it applies a least-privilege IAM statement or the "
            "smallest GCP role."
        ),
        annotations=_READ_ONLY,
    )
    def diagnose(
        error: Annotated[str, Field(description="The error text exactly as the user pasted it, unedited.")],
        status_code: Annotated[
            int | None, Field(description="The HTTP status (100-599), only if known and not already in the text.")
        ] = None,
        headers: Annotated[
            dict[str, str] | None,
            Field(description="Response headers (name to value), e.g. WWW-Authenticate, only if known."),
        ] = None,
        provider: Annotated[
            str | None, Field(description="A hint when the text does not say: aws, gcp or http. Usually omit.")
        ] = None,
        ctx: Context | None = None,
    ) -> DiagnoseResponse:
        state = get_state()
        _enforce_rate_limit(state, ctx)
        limit = state.settings.max_body_bytes
        # The API refuses request bodies over max_body_bytes; measure the same request's JSON.
        payload = {"error": error, "status_code": status_code, "headers": headers, "provider": provider}
        size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > limit:
            raise ToolError(
                f"The error text is too large ({size} bytes; the limit is {limit}). Send only the error "
                "itself: in a long log it is the last lines, from the first line that names the failure."
            )
        try:
            request = DiagnoseRequest(error=error, status_code=status_code, headers=headers, provider=provider)
        except ValidationError as exc:
            raise ToolError(f"Invalid arguments: {_errors(exc)}") from None
        return diagnose_request(request, state.catalog, state.iam_index)

    @server.tool(
        title="Search the guidance",
        description=(
            "Search whydenied's guidance entries, guides and playbooks by error code (AccessDenied, "
            'PERMISSION_DENIED, invalid_token, ...) or by words ("service control policy explicit deny"). Use '
            "it when there is no error text to diagnose, or to find related guidance; when the user pasted an "
            "error, call `diagnose` instead.\n\n"
            "Returns a list of hits, best first, each with `id` (pass it to `get_entry`), `kind` (reason, guide "
            "or playbook), `title`, `summary` and `score` (higher is better). An empty list means no match."
        ),
        annotations=_READ_ONLY,
    )
    def search(
        query: Annotated[str, Field(min_length=1, max_length=500, description="An error code or a few words.")],
        provider: Annotated[
            str | None,
            Field(max_length=32, pattern=r"^[a-z0-9_-]+$", description="Only this provider's entries: aws, gcp, http."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="How many hits at most.")] = 10,
    ) -> Annotated[CallToolResult, list[SearchHitResponse]]:
        hits = [
            SearchHitResponse.model_validate(hit, from_attributes=True).model_dump(mode="json")
            for hit in get_state().search.search(query, provider, limit)
        ]
        # One text block holding the JSON list (`[]` when nothing matched), not a block per hit;
        # structured content wraps the list as {"result": [...]}, as the SDK does for a returned list.
        text = json.dumps(hits, indent=2, ensure_ascii=False)
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content={"result": hits})

    @server.tool(
        title="Read a guidance entry",
        description=(
            "Read one guidance entry, guide or playbook in full, by the id that `search` or `diagnose` returned "
            "(e.g. aws.authz.explicit_deny.scp). Returns Markdown by default (what it means, causes, numbered "
            "diagnosis/fix/verify steps with their commands, prevention, pitfalls, references); commands keep "
            "their placeholders as <name>: for commands filled in from a real error, call `diagnose` with it. "
            '`format="json"` returns the entry as a JSON object instead.'
        ),
        annotations=_READ_ONLY,
        structured_output=False,  # the Markdown (or JSON) is the answer; no {"result": ...} copy of it
    )
    def get_entry(
        id: Annotated[str, Field(min_length=1, max_length=128, description="The entry id.")],
        format: Annotated[Literal["markdown", "json"], Field(description="markdown (default) or json.")] = "markdown",
    ) -> str | dict[str, Any]:
        compiled = get_state().catalog.get(id)
        if compiled is None:
            raise ToolError(f"No entry has the id {id!r}. Use `search` to find entry ids.")
        if format == "json":
            return dict(compiled.document)
        return to_markdown(compiled.render({}, for_case=False))

    @server.resource(
        ENTRY_URI,
        name="entry",
        title="Guidance entry (Markdown)",
        description="One guidance entry, guide or playbook as Markdown, by id (e.g. aws.authz.explicit_deny.scp).",
        mime_type="text/markdown",
    )
    def entry_resource(id: str) -> str:
        compiled = get_state().catalog.get(id)
        if compiled is None:
            raise ResourceNotFoundError(f"No entry has the id {id[:128]!r}.")
        return to_markdown(compiled.render({}, for_case=False))

    return server


def _enforce_rate_limit(state: Any, ctx: Context | None) -> None:
    """The API's per-client diagnose limit, for MCP over HTTP too (security review F8: it never applied).

    The client is the HTTP request's peer; over stdio there is no request and no limit (the user's own
    desktop client started the process).
    """
    limiter = getattr(state, "rate_limiter", None)
    request = ctx.request_context.request if ctx is not None else None
    client = getattr(request, "client", None)
    if limiter is None or client is None:
        return
    try:
        wait = limiter.acquire(client_key(client.host))  # a sync tool runs in a worker thread: blocking is fine
    except RateLimitUnavailable:
        raise ToolError("The shared rate limit cannot be checked right now; retry shortly.") from None
    if wait:
        raise ToolError(f"Too many diagnoses from this address; retry after {wait} seconds.")


def _errors(exc: ValidationError) -> str:
    """Say which arguments were refused and why, without quoting their values (a paste stays private).

    Only the argument's name is named: deeper locations are the caller's data (a header's name).
    """
    refused = []
    for error in exc.errors():
        where = error["loc"][0] if error["loc"] else "arguments"
        name = where if isinstance(where, str) and _ARGUMENT_NAME.fullmatch(where) else "arguments"
        refused.append(f"{name}: {error['msg']}")
    return "; ".join(dict.fromkeys(refused))


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: accept the configured host, loopback, and WHYDENIED_MCP_ALLOWED_HOSTS.

    A name without a port allows any port; `*` turns the Host/Origin check off (behind a proxy
    that checks them). Browsers send Origin; the same names are accepted there, over http or https.
    """
    if "*" in settings.mcp_allowed_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    configured = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
    hosts: list[str] = []
    for host in (configured, *_LOOPBACK, *settings.mcp_allowed_hosts):
        has_port = host.rsplit("]", 1)[-1].count(":") == 1
        hosts += [host] if has_port else [host, f"{host}:*"]
    hosts = list(dict.fromkeys(hosts))
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class _WithoutRequestValues(logging.Filter):
    """Keep the SDK's "Invalid Host header: <value>" warnings, without the client-chosen value.

    A Host or Origin header is whatever the client wrote: logged verbatim it is a way to put text
    (or terminal escapes) into the operator's logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = message.split(":", 1)[0] if ":" in message else message, ()
        return True


logging.getLogger("mcp.server.transport_security").addFilter(_WithoutRequestValues())


def streamable_http_app(server: MCPServer[Any], settings: Settings) -> Starlette:
    """Return the server as an ASGI app to mount at /mcp: stateless Streamable HTTP, JSON responses.

    The app's lifespan must run `server.session_manager.run()` (once per server instance).
    """
    return server.streamable_http_app(
        streamable_http_path="/",
        stateless_http=True,
        json_response=True,
        max_request_body_size=settings.max_body_bytes,
        transport_security=transport_security(settings),
    )


@dataclass(frozen=True)
class StdioState:
    """The state for stdio, where there is no HTTP app and no lifespan."""

    settings: Settings
    catalog: Catalog
    search: SearchIndex
    iam_index: Callable[[], IamActionIndex]


def stdio_state(settings: Settings) -> StdioState:
    """Load what the tools read, without the service's database: the catalogue, and a search index in
    an in-memory SQLite database. The IAM data is read only when an implicit deny needs a statement.
    """
    from api.catalog import content_root, load_catalog
    from api.db import make_engine
    from api.services.least_privilege import load_iam_index

    # The repository-hygiene lints (published ids, schema freshness) are CI's job, as for `explain`.
    catalog = load_catalog(content_root(settings.content_dir), check=False)
    index = SearchIndex(make_engine("sqlite://"))
    index.rebuild(catalog)
    return StdioState(settings=settings, catalog=catalog, search=index, iam_index=load_iam_index)
