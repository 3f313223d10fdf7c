"""The MCP server, through the SDK's own client: over real Streamable HTTP (the app under uvicorn on
a loopback port, on the suite's database) and over stdio (`python -m api.cli mcp` as a subprocess).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent, TextResourceContents

from api.catalog import Catalog
from api.main import create_app
from api.mcp_server import create_mcp_server, stdio_state, transport_security
from api.settings import Settings
from tests.conftest import app_database_url, reset_database
from tests.servers import serving

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
# The example of AWS's policy-ARN announcement (the README's first AWS sample).
SCP_DENY = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)
SCP_ID = "aws.authz.explicit_deny.scp"


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio only (the SDK's client and uvicorn both run there)."""
    return "asyncio"


@pytest.fixture(scope="module")
def live_url(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the whole app on a free loopback port (on the suite's database) for this module."""
    data = tmp_path_factory.mktemp("data")
    url = app_database_url(data)
    reset_database(url)
    settings = Settings(database_url=url, data_dir=data)
    with serving(create_app(settings, catalog=catalog)) as base:
        yield base


def _text(result: CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


# Over Streamable HTTP, at /mcp/ in the running app


async def test_http_lists_the_tools_with_descriptions(live_url: str) -> None:
    async with Client(f"{live_url}/mcp/") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"diagnose", "search", "get_entry"}
    assert "exactly as pasted" in (tools["diagnose"].description or "")
    assert tools["diagnose"].input_schema["required"] == ["error"]
    assert tools["diagnose"].output_schema is not None
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools.values())


async def test_http_diagnose_is_the_api_response(live_url: str) -> None:
    async with Client(f"{live_url}/mcp/") as client:
        result = await client.call_tool("diagnose", {"error": SCP_DENY})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["reason"] == SCP_ID
    assert result.structured_content["facts"]["policy_type"] == "scp"
    async with httpx.AsyncClient(base_url=live_url) as http:
        api = (await http.post("/v1/diagnose", json={"error": SCP_DENY})).json()
    assert result.structured_content == api
    assert json.loads(_text(result)) == api


async def test_http_diagnose_passes_status_and_headers(live_url: str) -> None:
    arguments = {
        "error": "HTTP/1.1 401 Unauthorized",
        "status_code": 401,
        "headers": {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
    }
    async with Client(f"{live_url}/mcp/") as client:
        result = await client.call_tool("diagnose", arguments)
    async with httpx.AsyncClient(base_url=live_url) as http:
        api = (await http.post("/v1/diagnose", json=arguments)).json()
    assert not result.is_error
    assert result.structured_content == api
    assert api["category"] == "authentication"


async def test_http_search_puts_the_scp_entry_first(live_url: str) -> None:
    async with Client(f"{live_url}/mcp/") as client:
        result = await client.call_tool("search", {"query": "service control policy explicit deny"})
        nothing = await client.call_tool("search", {"query": "zzqxv"})
    assert not result.is_error
    hits = json.loads(_text(result))
    assert hits[0]["id"] == SCP_ID
    assert set(hits[0]) == {"id", "kind", "title", "summary", "score"}
    assert result.structured_content == {"result": hits}
    assert json.loads(_text(nothing)) == []


async def test_http_get_entry_as_markdown_and_json(live_url: str) -> None:
    async with Client(f"{live_url}/mcp/") as client:
        markdown = await client.call_tool("get_entry", {"id": SCP_ID})
        document = await client.call_tool("get_entry", {"id": SCP_ID, "format": "json"})
    async with httpx.AsyncClient(base_url=live_url) as http:
        api_markdown = (await http.get(f"/v1/entries/{SCP_ID}", params={"format": "markdown"})).text
        api_json = (await http.get(f"/v1/entries/{SCP_ID}")).json()
    assert _text(markdown).startswith("# Explicit Deny in a service control policy (SCP)\n")
    assert _text(markdown) == api_markdown
    assert json.loads(_text(document)) == api_json


async def test_http_entries_are_resources(live_url: str) -> None:
    uri = f"whydenied://entries/{SCP_ID}"
    async with Client(f"{live_url}/mcp/") as client:
        listed = {str(resource.uri) for resource in (await client.list_resources()).resources}
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        read = await client.read_resource(uri)
    assert uri in listed
    assert len(listed) > 40
    assert templates == ["whydenied://entries/{id}"]
    content = read.contents[0]
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "text/markdown"
    assert content.text.startswith("# Explicit Deny in a service control policy (SCP)")


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("diagnose", {"error": "   "}, "error: Value error, must not be empty"),
        ("diagnose", {"error": "denied", "status_code": 42}, "status_code: Input should be greater than or equal"),
        ("diagnose", {"error": "denied", "provider": "not a provider"}, "provider: String should match pattern"),
        ("diagnose", {"status_code": 403}, "error"),
        ("diagnose", {"error": ["not", "text"]}, "error"),
        ("search", {"query": "deny", "limit": 500}, "limit"),
        ("search", {"query": ""}, "query"),
        ("get_entry", {"id": "no.such.entry"}, "No entry has the id 'no.such.entry'"),
        ("get_entry", {"id": SCP_ID, "format": "html"}, "format"),
    ],
)
async def test_http_bad_arguments_are_tool_errors(
    live_url: str, tool: str, arguments: dict[str, Any], message: str
) -> None:
    async with Client(f"{live_url}/mcp/") as client:
        result = await client.call_tool(tool, arguments)
        assert result.is_error
        assert message in _text(result)
        # ...and the server is still there
        assert (await client.call_tool("get_entry", {"id": SCP_ID})).is_error is False


MCP_SECRET = "LEAKmcpHeaderBearer0123456789"


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        pytest.param(
            "diagnose", {"error": "x", "headers": {"Authorization": [f"Bearer {MCP_SECRET}"]}}, id="list-header"
        ),
        pytest.param("diagnose", {"error": {"password": MCP_SECRET}}, id="object-error"),
        pytest.param("diagnose", {"error": "x", "headers": {f"Bearer {MCP_SECRET}": 1}}, id="secret-header-name"),
        pytest.param("diagnose", {"error": "x", "status_code": MCP_SECRET}, id="text-status"),
        pytest.param("search", {"query": [MCP_SECRET]}, id="list-query"),
    ],
)
async def test_http_refused_arguments_are_never_quoted(live_url: str, tool: str, arguments: dict[str, Any]) -> None:
    # The SDK checks arguments before the tool runs; its own message would quote them (input_value=...).
    async with Client(f"{live_url}/mcp/") as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert MCP_SECRET not in _text(result)
    assert "Invalid arguments" in _text(result)


def test_http_host_header_must_be_allowed(catalog: Catalog) -> None:
    # In-memory SQLite whatever the suite runs on: resetting the suite's database here would pull
    # the tables from under the module's live server.
    settings = Settings(database_url="sqlite://", mcp_allowed_hosts=["whydenied.example.com"])
    with TestClient(create_app(settings, catalog=catalog)) as client:
        _check_hosts(client)


def _check_hosts(client: TestClient) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream"}
    refused = client.post("/mcp/", json=request, headers={**headers, "Host": "evil.example"})
    assert refused.status_code == 421
    # Without the slash: served in place, never a redirect whose Location comes from the Host header.
    no_slash = client.post("/mcp", json=request, headers={**headers, "Host": "evil.example"}, follow_redirects=False)
    assert no_slash.status_code == 421 and "location" not in no_slash.headers
    assert client.post("/mcp", json=request, headers={**headers, "Host": "localhost"}).status_code == 200
    for host in ("whydenied.example.com", "whydenied.example.com:8443", "127.0.0.1:8000", "localhost"):
        answered = client.post("/mcp/", json=request, headers={**headers, "Host": host})
        assert answered.status_code == 200, host
    wrong_origin = client.post(
        "/mcp/", json=request, headers={**headers, "Host": "localhost", "Origin": "https://evil"}
    )
    assert wrong_origin.status_code == 403


def test_a_refused_host_is_logged_without_its_value(catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url="sqlite://")
    request = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with TestClient(create_app(settings, catalog=catalog)) as client:
        headers = {"Accept": "application/json, text/event-stream", "Host": "evil.example\x1b]52;c;cm0gLXJmIH4K\x07"}
        assert client.post("/mcp/", json=request, headers=headers).status_code in (400, 421)
    assert "Invalid Host header" in caplog.text
    assert "evil.example" not in caplog.text and "\x1b" not in caplog.text


def test_allowed_hosts_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHYDENIED_MCP_ALLOWED_HOSTS", " a.example , b.example:8443,")
    settings = Settings(host="10.0.0.5")
    assert settings.mcp_allowed_hosts == ["a.example", "b.example:8443"]
    security = transport_security(settings)
    assert security.enable_dns_rebinding_protection
    for host in ("10.0.0.5:*", "127.0.0.1:*", "localhost:*", "[::1]:*", "a.example", "a.example:*", "b.example:8443"):
        assert host in security.allowed_hosts
    assert "b.example:8443:*" not in security.allowed_hosts
    assert "https://a.example" in security.allowed_origins
    assert "[::1]:*" in transport_security(Settings(host="::1")).allowed_hosts
    assert not transport_security(Settings(mcp_allowed_hosts=["*"])).enable_dns_rebinding_protection


async def test_http_body_over_the_limit_is_refused_and_the_server_carries_on(live_url: str) -> None:
    # The app's body limit (WHYDENIED_MAX_BODY_BYTES) answers 413 before MCP reads the request, so
    # over HTTP the client gets a protocol error rather than the tool error stdio gives (below).
    async with Client(f"{live_url}/mcp/") as client:
        with pytest.raises(MCPError):
            await client.call_tool("diagnose", {"error": "AccessDenied " + "x" * 70_000})
        assert not (await client.call_tool("diagnose", {"error": SCP_DENY})).is_error


async def test_http_diagnose_shares_the_apis_rate_limit(catalog: Catalog, tmp_path: Path) -> None:
    # Security review F8: the MCP tool answered every call while the API answered 429.
    settings = Settings(database_url=app_database_url(tmp_path), data_dir=tmp_path, rate_limit_per_minute=3)
    with serving(create_app(settings, catalog=catalog)) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.post("/v1/diagnose", json={"error": SCP_DENY})).status_code == 200
        async with Client(f"{base}/mcp/") as client:
            calls = [await client.call_tool("diagnose", {"error": SCP_DENY}) for _ in range(3)]
    assert [call.is_error for call in calls] == [False, False, True]
    assert "retry after" in _text(calls[2]) and "AccessDenied" not in _text(calls[2])


# In process: the size limit, which over stdio is the only one


async def test_error_text_over_the_body_limit_is_a_tool_error(catalog: Catalog) -> None:
    settings = Settings(database_url="sqlite://", max_body_bytes=4096)
    state = stdio_state(settings)
    async with Client(create_mcp_server(lambda: state)) as client:
        too_big = await client.call_tool("diagnose", {"error": "AccessDenied " + "x" * 4096})
        fits = await client.call_tool("diagnose", {"error": SCP_DENY})
    assert too_big.is_error
    assert "too large" in _text(too_big)
    assert "xxxx" not in _text(too_big)  # the paste is not echoed
    assert not fits.is_error


# Over stdio: `whydenied mcp`, as a desktop chat client starts it


async def test_stdio_diagnose_search_and_entry(tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "api.cli", "mcp"], cwd=ROOT)
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            with anyio.fail_after(60):
                names = {tool.name for tool in (await client.list_tools()).tools}
                diagnosed = await client.call_tool("diagnose", {"error": SCP_DENY})
                found = await client.call_tool("search", {"query": "service control policy explicit deny"})
                entry = await client.call_tool("get_entry", {"id": SCP_ID})
                empty = await client.call_tool("diagnose", {"error": ""})
    assert names == {"diagnose", "search", "get_entry"}
    assert not diagnosed.is_error
    assert diagnosed.structured_content is not None
    assert diagnosed.structured_content["reason"] == SCP_ID
    assert json.loads(_text(found))[0]["id"] == SCP_ID
    assert _text(entry).startswith("# Explicit Deny in a service control policy (SCP)")
    assert empty.is_error


def test_a_get_on_the_mcp_endpoint_answers_at_once(catalog: Catalog) -> None:
    # A browser or curl GET used to open an event stream that never sent anything nor closed.
    with TestClient(create_app(Settings(database_url="sqlite://"), catalog=catalog)) as client:
        for path in ("/mcp/", "/mcp"):
            response = client.get(path, headers={"Accept": "text/event-stream"})
            assert response.status_code == 405 and response.headers["allow"] == "POST"
            assert response.headers["content-type"] == "application/problem+json"


async def test_http_every_entry_keeps_its_commands_whole_in_code_blocks(live_url: str, catalog: Catalog) -> None:
    """get_entry and the entry resources are Markdown an agent shows: read by a CommonMark parser,
    every multi-line command is one code block, for every entry in the catalogue."""
    from tests.api.test_markdown_safety import _broken, _commands

    broken: dict[str, list[str]] = {}
    async with Client(f"{live_url}/mcp/") as client:
        for entry_id, compiled in catalog.entries.items():
            commands = _commands(compiled.render({}, for_case=False))
            tool = _text(await client.call_tool("get_entry", {"id": entry_id}))
            content = (await client.read_resource(f"whydenied://entries/{entry_id}")).contents[0]
            assert isinstance(content, TextResourceContents)
            for markdown in (tool, content.text):
                if failures := _broken(markdown, commands):
                    broken[entry_id] = failures
    assert broken == {}
    assert any("\n" in command for compiled in catalog.entries.values() for command in _commands(compiled.render({})))


_LAZY_MCP_SCRIPT = """
import sys
from fastapi.testclient import TestClient
from api.main import create_app
from api.settings import Settings

with TestClient(create_app(Settings(database_url="sqlite://"))) as client:
    assert client.get("/healthz").status_code == 200
    client.post("/v1/diagnose", json={"error": "403 Forbidden"})
    print("before", "mcp" in sys.modules)
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream", "Host": "localhost"}
    reply = client.post("/mcp/", json=request, headers=headers)
    print("after", "mcp" in sys.modules, reply.status_code, "diagnose" in reply.text)
print("stopped")
"""


def test_the_service_loads_the_mcp_sdk_only_when_mcp_is_called() -> None:
    # ~29 MB and ~0.3 s that a deployment without chat clients never pays; the first call still answers.
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _LAZY_MCP_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["before", "False", "after", "True", "200", "True", "stopped"]
