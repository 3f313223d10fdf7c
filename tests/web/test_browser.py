"""The web page in a real browser: paste real AWS and GCP errors, copy a command, stay safe from XSS."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import screenshot

# The example of AWS's policy-ARN announcement (aws.amazon.com/blogs/security/enhanced-access-denied-
# error-messages-with-policy-arns), as the CLI prints it.
AWS_SCP = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)
# https://github.com/GoogleCloudPlatform/gsutil/issues/546
GCP_GSUTIL = (
    "$ gsutil cp foo gs://my-bucket-name/foo\nAccessDeniedException: 403 my-service-account@my-project.iam."
    "gserviceaccount.com does not have storage.objects.list access to my-bucket-name."
)
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> HTTP/1.1 403 Forbidden'


def _diagnose(page: Any, error: str) -> None:
    page.goto("/")
    page.get_by_label("Error").fill(error)
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_selector("#result article.result")


def test_browser_aws_scp_paste_shows_the_layer_and_a_filled_command(page: Any) -> None:
    _diagnose(page, AWS_SCP)
    assert page.locator("#result h2.playbook-title").inner_text() == "Explicit Deny in a service control policy (SCP)"
    assert page.locator("#result article").get_attribute("data-reason") == "aws.authz.explicit_deny.scp"
    commands = page.locator("#result pre code").all_inner_texts()
    assert any("service_control_policy/p-2kgnabcd" in command for command in commands)
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])  # the paste never went into the URL
    screenshot(page, "aws-scp-explicit-deny")


def test_browser_copy_button_copies_the_filled_command(page: Any) -> None:
    _diagnose(page, AWS_SCP)
    block = page.locator("#result .cmd").first
    from playwright.sync_api import expect

    block.get_by_role("button", name="Copy command").click()
    expect(block.get_by_role("button", name="Copy command")).to_have_text("Copied")  # the clipboard write is async
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == block.locator("code").inner_text()


def test_browser_gcp_paste_suggests_the_smallest_role(page: Any) -> None:
    _diagnose(page, GCP_GSUTIL)
    assert page.locator("#result article").get_attribute("data-reason") == "gcp.authz.iam_permission_denied"
    assert "Changes state" in page.locator("#grant + .changes-note").inner_text()  # a grant says so before the command
    grant = page.locator("#grant ~ .cmd code").first.inner_text()
    assert "gcloud storage buckets add-iam-policy-binding gs://my-bucket-name" in grant
    assert "--role=roles/storage.objectViewer" in grant
    screenshot(page, "gcp-permission-denied")


def test_browser_pasted_markup_stays_text(page: Any) -> None:
    _diagnose(page, XSS)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#result img").count() == 0
    assert page.locator("#result script").count() == 0
    page.get_by_label("Error").fill(XSS)  # the textarea still holds it as text
    assert "<script>" in page.get_by_label("Error").input_value()
    screenshot(page, "xss-paste-inert")


def test_browser_works_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Error").fill(GCP_GSUTIL)
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_selector("article.result")
    assert page.locator("article.result").get_attribute("data-reason") == "gcp.authz.iam_permission_denied"
    assert page.locator(".cmd button.copy").count() == 0  # copy buttons come from the script
    context.close()


def test_browser_search_and_entry_pages(page: Any) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill("service control policy explicit deny")
    page.get_by_role("button", name="Search").click()
    first = page.locator("ol.hits li a").first
    assert first.get_attribute("href") == "/entries/aws.authz.explicit_deny.scp"
    first.click()
    assert page.locator("h1").inner_text() == "Explicit Deny in a service control policy (SCP)"
    assert page.locator("#fix").count() == 1
    screenshot(page, "entry-page")
    page.goto("/entries")
    assert page.locator("h2#aws").count() == 1 and page.locator("h2#gcp").count() == 1
    screenshot(page, "knowledge-index")


def test_browser_phone_layout_and_keyboard(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link is first, and it shows on focus
    assert page.evaluate("document.activeElement.className") == "skip"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
    screenshot(page, "phone-home")
    context.close()
