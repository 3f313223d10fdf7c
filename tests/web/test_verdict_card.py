"""The verdict card in real Chromium: the answer at a glance, first on the screen, at 1280 and 390 px.

Four real pastes (AWS, GCP, HTTP, CORS): the card names the provider, the category in large type,
the layer that said no, who is denied what on which resource, and one first step with its command.
Nothing overflows on a phone; the card's text meets WCAG AA contrast; the keyboard reaches the
card's Copy button with a visible focus ring. `python -m tests.web.screenshots` saves the README's
screenshots from the same pastes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pytest

from tests.web.conftest import screenshot


@dataclass(frozen=True)
class Sample:
    """A real paste and what its card must say."""

    name: str
    error: str
    status: str
    provider: str
    headline: str
    layer: str
    rows: dict[str, str]
    first_command: str | None  # the start of the first step's command


SAMPLES: Final = [
    Sample(  # the example of AWS's policy-ARN announcement (aws.amazon.com/blogs/security/enhanced-access-denied-...)
        "aws",
        "An error occurred (AccessDenied) when calling the ListRoles operation: User: "
        "arn:aws:iam::123456789012:user/Matt is not authorized to perform: iam:ListRoles on resource: "
        "arn:aws:iam::123456789012:role/* with an explicit deny in a service control policy: "
        "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd",
        "",
        "AWS",
        "AUTHORIZATION",
        "an SCP in your organization (an explicit Deny)",
        {
            "Who": "arn:aws:iam::123456789012:user/Matt",
            "Denied": "iam:ListRoles",
            "On": "arn:aws:iam::123456789012:role/*",
        },
        "POLICY_ARN=arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd\n"
        'aws organizations describe-policy --policy-id "${POLICY_ARN##*/}"',
    ),
    Sample(  # https://github.com/GoogleCloudPlatform/gsutil/issues/546
        "gcp",
        "$ gsutil cp foo gs://my-bucket-name/foo\nAccessDeniedException: 403 my-service-account@my-project.iam."
        "gserviceaccount.com does not have storage.objects.list access to my-bucket-name.",
        "",
        "Google Cloud",
        "AUTHORIZATION",
        "IAM allow policies: no role you hold grants the permission",
        {
            "Who": "my-service-account@my-project.iam.gserviceaccount.com",
            "Denied": "storage.objects.list",
            "On": "my-bucket-name",
        },
        "gcloud storage buckets add-iam-policy-binding gs://my-bucket-name "
        "--member=serviceAccount:my-service-account@my-project.iam.gserviceaccount.com --role=roles/storage.objectViewer",
    ),
    Sample(  # https://github.com/dmm-com/pagoda/issues/58 (curl -v against a Django REST framework API)
        "http",
        "> POST /api/v1/entry HTTP/1.1\n> Host: 127.0.0.1:8080\n> User-Agent: curl/7.58.0\n> Accept: */*\n"
        "> Authorization: Token xxxxx\n> Content-type: application/json\n> Content-Length: 48\n>\n"
        "* upload completely sent off: 48 out of 48 bytes\n* HTTP 1.0, assume close after body\n"
        "< HTTP/1.0 401 Unauthorized\n< Date: Tue, 22 Dec 2020 02:11:41 GMT\n"
        "< Server: WSGIServer/0.2 CPython/3.6.9\n< Content-Type: application/json\n< WWW-Authenticate: Token\n"
        "< Vary: Accept\n< Allow: GET, POST, DELETE, HEAD, OPTIONS\n< X-Frame-Options: SAMEORIGIN\n"
        '< Content-Length: 27\n<\n* Closing connection 0\n{"detail":"Invalid token."}',
        "401",
        "HTTP",
        "AUTHENTICATION",
        "the server's sign-in: it rejected the credentials",
        {},
        None,
    ),
    Sample(  # https://github.com/balvin-perrie/Access-Control-Allow-Origin---Unblock/issues/15
        "cors",
        "Access to XMLHttpRequest at 'http://167.254.204.232:9890/vnfpkgm/v1/vnf_packages' from origin "
        "'http://app-ui-dev-env-venkateshc01.167.254.204.183.nip.io' has been blocked by CORS policy: Response to "
        "preflight request doesn't pass access control check: It does not have HTTP ok status.",
        "",
        "HTTP",
        "NOT AN ACCESS PROBLEM",
        "your browser's CORS check: the server's response did not allow this page",
        {
            "Page": "http://app-ui-dev-env-venkateshc01.167.254.204.183.nip.io",
            "On": "http://167.254.204.232:9890/vnfpkgm/v1/vnf_packages",
        },
        None,
    ),
]
WIDTHS: Final = (1280, 390)

# Relative luminance and contrast ratio (WCAG 2.x), computed in the page from the used colours; the
# background is the first opaque one up the tree.
CONTRAST_JS: Final = """(root) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || c[3] === 1) return c; } return [255, 255, 255]; };
  const worst = [];
  for (const el of root.querySelectorAll("*")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push(el.tagName + "." + el.className + " " + ratio.toFixed(2));
  }
  return worst;
}"""
# Every element whose right edge passes the viewport (what makes a phone scroll sideways).
OVERFLOW_JS: Final = """() => [...document.querySelectorAll("body *")].filter((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.right > document.documentElement.clientWidth + 0.5 && !el.closest("pre");
}).map((el) => el.tagName + "." + el.className)"""


def show(page: Any, sample: Sample) -> None:
    """Paste the sample into the form and wait for the result."""
    page.goto("/")
    page.get_by_label("Error").fill(sample.error)
    page.get_by_label("HTTP status").fill(sample.status)
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_selector("#result section.card")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.name for sample in SAMPLES])
def test_browser_verdict_card_says_the_answer_first(browser: Any, live_server: str, sample: Sample, width: int) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    page = context.new_page()
    show(page, sample)
    card = page.locator("#result section.card")

    assert card.locator(".card-provider").inner_text().upper() == sample.provider.upper()
    headline = card.locator("h2.headline")
    assert headline.inner_text() == sample.headline
    assert page.evaluate("document.activeElement.id") == "verdict-headline"  # the result takes the focus
    rows = dict(zip(card.locator("dt").all_inner_texts(), card.locator("dd").all_inner_texts(), strict=True))
    assert rows.pop("Who said no") == sample.layer
    assert rows == sample.rows
    assert card.locator("#first-step").inner_text() == "First thing to do"
    commands = card.locator(".first-step pre code").all_inner_texts()
    if sample.first_command:
        assert commands[0].startswith(sample.first_command)
    else:  # the first step is an instruction (this paste names no URL to put in a command)
        assert commands == []
        assert card.locator(".first-step p").last.inner_text()

    # the card is the first thing in the result, and its verdict fits the first screen
    assert page.locator("#result article > *").first.evaluate("el => el.matches('section.card')")
    assert headline.bounding_box()["y"] + headline.bounding_box()["height"] < 900 + page.evaluate("window.scrollY")
    assert float(headline.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 24
    assert page.evaluate(OVERFLOW_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(CONTRAST_JS, page.locator("#result").element_handle()) == []
    screenshot(page, f"verdict-{sample.name}-{width}")
    context.close()


def test_browser_verdict_card_by_keyboard(page: Any) -> None:
    """Tab from the form reaches the card's Copy button next, and the focus ring shows on it."""
    show(page, SAMPLES[1])
    page.locator("#diagnose button[type=submit]").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.closest('.card') !== null]")
    assert focused == ["copy", True]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(str(SAMPLES[1].first_command))


def test_browser_gcloud_without_an_account_says_gcloud_auth_login_first(page: Any) -> None:
    # https://github.com/jacksegal/google-compute-snapshot/issues/33
    show(
        page,
        Sample(
            "gcloud",
            "ERROR: (gcloud.compute.disks.list) You do not currently have an active account selected.\n"
            "Please run:\n\n  $ gcloud auth login\n\nto obtain new credentials, or if you have already logged in "
            "with a\ndifferent account:\n\n  $ gcloud config set account ACCOUNT",
            "",
            "",
            "",
            "",
            {},
            None,
        ),
    )
    card = page.locator("#result section.card")
    assert card.locator("h2.headline").inner_text() == "AUTHENTICATION"
    assert card.locator(".first-step pre code").inner_text() == "gcloud auth login"


def test_browser_copy_button_covers_no_command_text(page: Any) -> None:
    """The Copy button sits above its block: no part of it overlaps the command's text."""
    show(page, SAMPLES[0])
    for block in page.locator("#result .cmd").all():
        button = block.locator("button.copy").bounding_box()
        code = block.locator("pre").bounding_box()
        assert button["y"] + button["height"] <= code["y"] + 0.5, (button, code)


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_browser_oversized_paste_says_so_in_words(browser: Any, live_server: str, javascript: bool) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Error").fill("An error occurred (AccessDenied)\n" + "x" * (70 * 1024))
    page.get_by_role("button", name="Diagnose").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "The paste is larger than 64 KB" in alert.inner_text()
    assert not page.locator("body").inner_text().lstrip().startswith("{")  # no raw JSON
    assert page.get_by_label("Error").count() == 1  # the form is still there to try again
    context.close()


def test_browser_entries_index_fits_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/entries")
    assert page.evaluate(OVERFLOW_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "entries-390")
    context.close()


def test_browser_without_javascript_opens_at_the_card(browser: Any, live_server: str) -> None:
    context = browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Error").fill(SAMPLES[0].error)
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_selector("section.card")
    box = page.locator("h2.headline").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # on the first screen, not below the form
    assert page.locator("h2.headline").inner_text() == "AUTHORIZATION"
    context.close()


def test_browser_a_non_html_answer_shows_a_sentence_not_json(page: Any) -> None:
    """A proxy in front of the service may answer the script's post with JSON or plain text."""

    def proxy_error(route: Any) -> None:
        if route.request.method == "POST":
            route.fulfill(status=502, content_type="application/json", body='{"error": "bad gateway"}')
        else:
            route.continue_()

    page.goto("/")
    page.route("**/", proxy_error)
    page.get_by_label("Error").fill(SAMPLES[0].error)
    page.get_by_role("button", name="Diagnose").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "The server could not answer (HTTP 502). Try again in a moment."
    assert "bad gateway" not in page.locator("#result").inner_text()


def test_browser_identity_section_fits_a_phone_and_reads(browser: Any, live_server: str) -> None:
    """Who made the call, under the card: a long key name wraps at 390 px, and the text meets AA contrast."""
    import json

    from tests.adapters.test_identity_facts import GCP_KEY_DENIED  # panther-analysis' real audit-log entry

    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Error").fill(json.dumps(GCP_KEY_DENIED))
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_selector("#result section.identity")
    section = page.locator("#result section.identity")
    labels = section.locator("dt").all_inner_texts()
    assert labels[:2] == ["Caller", "Key used"]
    assert "keys/a0064fe0ef82b9e256b8b093d927ee842a19da34" in section.locator("dd").nth(1).inner_text()
    assert page.evaluate(OVERFLOW_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(CONTRAST_JS, section.element_handle()) == []
    screenshot(page, "identity-gcp-key-390")
    context.close()
