// The upload page: sends the file with XMLHttpRequest so that the bar
// shows how much has been received, then follows the server's check of
// the rows until the preview is ready. Without this script the form
// posts normally and the preview page refreshes itself.
(function () {
  "use strict";

  function show(status, bar, text, percent, message) {
    status.hidden = false;
    bar.value = percent;
    text.textContent = message;
  }

  function follow(progressURL, previewURL, bar, text) {
    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", progressURL);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status !== 200) {
          text.textContent = "The check could not be followed (" + xhr.status + "). Open the uploads page to see it.";
          return;
        }
        var p = JSON.parse(xhr.responseText);
        bar.value = p.percent;
        text.textContent = "Checking: " + p.rows_checked.toLocaleString() + " rows (" + p.percent + " % of the file)…";
        if (p.done) {
          text.textContent = "Checked " + p.rows_checked.toLocaleString() + " rows. Opening the preview…";
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
        show(status, bar, text, 0, "The file is larger than " + form.getAttribute("data-max-mb") +
          " MB, the most one upload may be. Split it into several uploads. Nothing was sent.");
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
          show(status, bar, text, pct, "Sending: " + pct + " % of " + Math.ceil(e.total / 1024).toLocaleString() + " KB…");
        }
      };
      xhr.onload = function () {
        var r = null;
        try { r = JSON.parse(xhr.responseText); } catch (e) { r = null; }
        if (xhr.status === 202 && r) {
          show(status, bar, text, 0, "Received. Checking the rows…");
          follow(r.progress_url, r.preview_url, bar, text);
          return;
        }
        button.disabled = false;
        var msg = "The upload failed (" + xhr.status + ").";
        if (r && r.file_error) { msg = r.file_error.message + " How to fix it: " + r.file_error.hint; }
        else if (r && r.error) { msg = r.error; }
        show(status, bar, text, 0, msg);
        status.classList.add("error-message");
      };
      xhr.onerror = function () {
        button.disabled = false;
        show(status, bar, text, 0, "The connection broke while sending. Nothing was changed; try again.");
      };
      status.classList.remove("error-message");
      show(status, bar, text, 0, "Sending…");
      xhr.send(new FormData(form));
    });
  }

  var check = document.getElementById("check-progress");
  if (check) {
    follow(check.getAttribute("data-progress-url"), check.getAttribute("data-preview-url"),
      document.getElementById("check-bar"), document.getElementById("check-text"));
  }
})();
