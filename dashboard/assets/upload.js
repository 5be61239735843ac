// The upload page: sends the file with XMLHttpRequest so that the bar
// shows how much has been received, then follows the server's check of
// the rows until the preview is ready. Without this script the form
// posts normally and the preview page refreshes itself.
//
// Every text comes from a data-text-* attribute that the page fills in
// the reader's language; {name} marks where a number goes.
(function () {
  "use strict";

  function say(el, name, vars) {
    var s = el.getAttribute("data-text-" + name) || "";
    return s.replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars || {}, k) ? String(vars[k]) : m;
    });
  }

  function count(el, n) {
    var lang = el.getAttribute("data-lang") || undefined;
    try { return Number(n).toLocaleString(lang); } catch (e) { return String(n); }
  }

  function show(status, bar, text, percent, message) {
    status.hidden = false;
    bar.value = percent;
    text.textContent = message;
  }

  function follow(texts, progressURL, previewURL, bar, text) {
    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", progressURL);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status !== 200) {
          text.textContent = say(texts, "lost", { status: xhr.status });
          return;
        }
        var p = JSON.parse(xhr.responseText);
        bar.value = p.percent;
        text.textContent = say(texts, "checking", { rows: count(texts, p.rows_checked), percent: p.percent });
        if (p.done) {
          text.textContent = say(texts, "checked", { rows: count(texts, p.rows_checked) });
          window.location.assign(previewURL);
          return;
        }
        window.setTimeout(poll, 400);
      };
      xhr.onerror = function () { window.setTimeout(poll, 1500); };
      xhr.send();
    }
    poll();
  }

  // The preview address in the page's language: /vi/admin/uploads/… for
  // a Vietnamese page.
  function localized(form, url) {
    var lang = form.getAttribute("data-lang");
    if (lang && url && url.charAt(0) === "/" && url.indexOf("/" + lang + "/") !== 0) {
      return "/" + lang + url;
    }
    return url;
  }

  var form = document.getElementById("upload-form");
  if (form) {
    var status = document.getElementById("upload-status");
    var bar = document.getElementById("upload-bar");
    var text = document.getElementById("upload-text");
    form.addEventListener("submit", function (ev) {
      var input = document.getElementById("upload-file");
      if (!input.files || input.files.length === 0) { return; }
      ev.preventDefault();
      var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
      if (maxBytes && input.files[0].size > maxBytes) {
        show(status, bar, text, 0, say(form, "too-large"));
        status.classList.add("error-message");
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          var pct = Math.floor(e.loaded * 100 / e.total);
          show(status, bar, text, pct, say(form, "sending-percent", { percent: pct, kb: count(form, Math.ceil(e.total / 1024)) }));
        }
      };
      xhr.onload = function () {
        var r = null;
        try { r = JSON.parse(xhr.responseText); } catch (e) { r = null; }
        if (xhr.status === 202 && r) {
          show(status, bar, text, 0, say(form, "received"));
          follow(form, r.progress_url, localized(form, r.preview_url), bar, text);
          return;
        }
        button.disabled = false;
        var msg = say(form, "failed", { status: xhr.status });
        if (r && r.text) { msg = r.text; }
        else if (r && r.file_error) { msg = r.file_error.message.text + " " + say(form, "how-to-fix") + " " + r.file_error.hint.text; }
        else if (r && r.error) { msg = r.error; }
        show(status, bar, text, 0, msg);
        status.classList.add("error-message");
      };
      xhr.onerror = function () {
        button.disabled = false;
        show(status, bar, text, 0, say(form, "broken"));
      };
      status.classList.remove("error-message");
      show(status, bar, text, 0, say(form, "sending"));
      xhr.send(new FormData(form));
    });
  }

  var check = document.getElementById("check-progress");
  if (check) {
    follow(check, check.getAttribute("data-progress-url"), check.getAttribute("data-preview-url"),
      document.getElementById("check-bar"), document.getElementById("check-text"));
  }
})();
