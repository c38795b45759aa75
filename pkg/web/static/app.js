// Sohoa pages: small enhancements only; every step works without this file.
(function () {
  "use strict";
  // Focus the error summary so screen readers announce it.
  var sum = document.querySelector("[data-focus]");
  if (sum) { sum.focus(); }

  // Upload with a progress bar. On AWS the scan goes straight to the
  // presigned S3 URL (data-put-url); locally the form is posted as it is.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector("input[type=file]");
      if (!input || !input.files || !input.files.length || !window.XMLHttpRequest) { return; }
      ev.preventDefault();
      var box = form.querySelector(".progress"), bar = box && box.querySelector("progress"), txt = box && box.querySelector("[data-pct]");
      if (box) { box.classList.add("on"); }
      var xhr = new XMLHttpRequest(), file = input.files[0], put = form.getAttribute("data-put-url");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable || !bar) { return; }
        var pct = Math.round(e.loaded * 100 / e.total);
        bar.value = pct; if (txt) { txt.textContent = pct + " %"; }
      };
      xhr.onload = function () {
        if (put) {
          // A refused direct upload (an expired URL) goes through the form instead.
          if (xhr.status >= 200 && xhr.status < 300) { window.location = form.getAttribute("data-done") || window.location.href; } else { form.submit(); }
          return;
        }
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) { window.location = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () { form.submit(); };
      if (put) {
        xhr.open("PUT", put);
        xhr.setRequestHeader("Content-Type", file.type || "application/pdf");
        xhr.send(file);
      } else {
        xhr.open("POST", form.action);
        xhr.send(new FormData(form));
      }
    });
  });

  // Live status: poll while the scan is checked, then show the answer.
  var live = document.querySelector("[data-live]");
  if (live && window.fetch) {
    var url = live.getAttribute("data-live"), from = live.getAttribute("data-status");
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status !== from) { window.location.reload(); return; }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 3000); });
    };
    setTimeout(tick, 1000);
  }

  // Citizen ID checked as typed: the reason shows beside the field.
  var id = document.getElementById("cccd");
  if (id && window.fetch) {
    var out = document.getElementById("cccd-live"), timer;
    var check = function () {
      var v = id.value.trim();
      if (!v) { out.textContent = ""; return; }
      var body = new URLSearchParams(); body.set("cccd", v);
      fetch(id.form.action + (id.form.action.indexOf("?") < 0 ? "?" : "&") + "check=id",
        { method: "POST", credentials: "same-origin", body: body })
        .then(function (r) { return r.json(); })
        .then(function (j) { out.textContent = j.ok ? out.getAttribute("data-ok") : j.message; out.className = j.ok ? "hint" : "field-error"; })
        .catch(function () {});
    };
    id.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
    id.addEventListener("blur", check);
  }

  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
