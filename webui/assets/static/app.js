// ipc inbox: live updates. The page works without this file; with it,
// mail that arrives shows without a reload. It never builds HTML from
// message text: it fetches the page again (the server escapes every byte)
// and swaps in the mailbox list and the message list or thread.
"use strict";
(function () {
  var state = document.getElementById("live-state");
  if (!window.EventSource || !window.DOMParser || !window.fetch) {
    return;
  }
  var pending = null;
  function refresh() {
    pending = null;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["boxes", "live"].forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next) {
            now.replaceWith(document.importNode(next, true));
          }
        });
      })
      .catch(function () {});
  }
  function soon() {
    if (!pending) {
      pending = setTimeout(refresh, 120);
    }
  }
  var es = new EventSource("/events");
  es.addEventListener("open", function () {
    if (state) { state.textContent = "live"; state.className = "live-state on"; }
  });
  es.addEventListener("error", function () {
    if (state) { state.textContent = "reconnecting"; state.className = "live-state"; }
  });
  ["mail", "change", "resync"].forEach(function (kind) {
    es.addEventListener(kind, soon);
  });
})();
