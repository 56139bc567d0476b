// minsheng guardian console: live alarms without reloading. The console listens to the server's
// alarm events (server-sent events, authenticated by the page's session cookie) and, on each one,
// fetches the console again and swaps in its lists and map. Without this script the page works
// the same with its refresh link.
(function () {
  "use strict";
  var box = document.getElementById("gd-live");
  var status = document.getElementById("gd-live-status");
  if (!box || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var busy = false;
  var again = false;
  function stamp() {
    var d = new Date();
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("gd-live");
        if (fresh) {
          box.innerHTML = fresh.innerHTML;
          box.setAttribute("data-refreshed", String(Date.now()));
          if (status) { status.textContent = (status.getAttribute("data-updated") || "") + " " + stamp(); }
        }
      })
      .catch(function () { /* the next event, or the refresh link, tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var feed = new EventSource(box.getAttribute("data-feed"));
  feed.addEventListener("open", function () {
    box.setAttribute("data-live", "on");
    if (status) { status.textContent = (status.getAttribute("data-updated") || "") + " " + stamp(); }
  });
  feed.addEventListener("alarm", refresh);
  feed.addEventListener("reload", refresh);
})();
