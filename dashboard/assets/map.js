// The mapping step: when a column's role or a value for the whole file
// changes, the server reads the first rows again that way and the
// preview below is replaced by its answer (HTML rendered by the
// server, in the page's language). A new header line or sheet changes
// the column names, so it sends the whole form. Without this script the
// "Show the preview" button does the same.
(function () {
  "use strict";

  var form = document.getElementById("map-form");
  var box = document.getElementById("map-preview");
  if (!form || !box || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var seq = 0;

  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "preview");
    var mine = ++seq;
    box.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": body.get("csrf") || "" }
    }).then(function (res) {
      if (!res.ok) { throw new Error(String(res.status)); }
      return res.text();
    }).then(function (html) {
      if (mine !== seq) { return; } // an older answer
      box.innerHTML = html;
      box.removeAttribute("aria-busy");
    }).catch(function () {
      box.removeAttribute("aria-busy");
    });
  }

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t || t.name === "name" || t.name === "title") {
      return;
    }
    if (t.name === "header_line" || t.name === "sheet") {
      var b = document.getElementById("map-preview-button");
      if (form.requestSubmit && b) { form.requestSubmit(b); } else if (b) { b.click(); }
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 150);
  });
})();
