// whydenied: progressive enhancement only. Without JavaScript the form posts and the page reloads.
"use strict";

function addCopyButtons(root) {
  root.querySelectorAll(".cmd").forEach(function (block) {
    if (block.querySelector("button.copy")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy command");
    button.addEventListener("click", function () {
      var text = block.querySelector("code").textContent;
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else {
        fallbackCopy(text);
        done();
      }
    });
    block.insertBefore(button, block.firstChild);  // above the command, never over its text
  });
}

function fallbackCopy(text) {
  var area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "absolute";
  area.style.left = "-9999px";
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
  document.body.removeChild(area);
}

document.addEventListener("DOMContentLoaded", function () {
  addCopyButtons(document);
  var form = document.getElementById("diagnose");
  var result = document.getElementById("result");
  if (!form || !result || !window.fetch) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Diagnosing…";
    fetch("/", { method: "POST", body: new URLSearchParams(new FormData(form)), headers: { "X-Fragment": "1" } })
      .then(function (response) {
        // Our pages answer HTML even when they refuse; anything else (a proxy's error) gets a sentence.
        if ((response.headers.get("content-type") || "").indexOf("text/html") === 0) return response.text();
        return '<p class="problem" role="alert">The server could not answer (HTTP ' + response.status +
          "). Try again in a moment.</p>";
      })
      .then(function (html) {
        result.innerHTML = html;  // server-rendered and escaped; the CSP allows no inline script
        addCopyButtons(result);
        var heading = result.querySelector("h2, .problem");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      })
      .catch(function () { form.submit(); })
      .finally(function () { button.disabled = false; button.textContent = "Diagnose"; });
  });
});
