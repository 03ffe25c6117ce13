// Live parts of the console: every element with data-refresh="<url>" reloads
// its inner HTML from that fragment URL every data-interval ms (default 3000).
// No framework, no CDN: the console must work on an offline county network.
(function () {
  "use strict";
  function refresh(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body) {
      return; // do not clobber a form the operator is using
    }
    fetch(el.dataset.refresh, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.status === 401) {
          window.location.href = "/console/login";
          return null;
        }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== undefined) {
          el.innerHTML = html;
          el.dataset.refreshedAt = String(Date.now());
        }
      })
      .catch(function () { /* hub unreachable: keep the last view, try again */ });
  }
  document.querySelectorAll("[data-refresh]").forEach(function (el) {
    var interval = parseInt(el.dataset.interval || "3000", 10);
    window.setInterval(function () { refresh(el); }, interval);
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) { ev.preventDefault(); }
    });
  });
})();
