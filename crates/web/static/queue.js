// minsheng service halls: the ticket page, the window console and the display board follow the
// hall's board feed (server-sent events) without reloading — on each change they fetch their own
// page again and swap in its live part (#q-live); the board's clock ticks. Without this script the
// pages work the same with their refresh link (and the board refreshes itself every 15 seconds).
(function () {
  "use strict";
  var clock = document.getElementById("q-clock");
  if (clock) {
    // China time by the server's clock (its time at rendering, data-now, in ms since 1970).
    var base = Number(clock.getAttribute("data-now"));
    var offset = isNaN(base) || base <= 0 ? 0 : base - Date.now();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var d = new Date(Date.now() + offset + 8 * 3600 * 1000);
      clock.textContent = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    };
    tick();
    window.setInterval(tick, 1000);
  }
  var box = document.getElementById("q-live");
  if (!box || !box.getAttribute("data-feed") || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var busy = false;
  var again = false;
  var first = true;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("q-live");
        if (fresh) {
          box.innerHTML = fresh.innerHTML;
          box.setAttribute("data-refreshed", String(Date.now()));
        }
        // A new call is read out by screen readers (the board's live region outlives the swap).
        var say = document.getElementById("q-announce");
        var said = doc.getElementById("q-announce");
        if (say && said && say.textContent !== said.textContent) { say.textContent = said.textContent; }
      })
      .catch(function () { /* the next event, or the refresh link, tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var feed = new EventSource(box.getAttribute("data-feed"));
  feed.addEventListener("open", function () { box.setAttribute("data-live", "on"); });
  // The feed sends the board at once: the page was just rendered from it.
  feed.addEventListener("board", function () {
    if (first) { first = false; return; }
    refresh();
  });
})();
