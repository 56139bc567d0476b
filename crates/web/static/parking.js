// minsheng parking guidance: "use my location" on the find page asks the browser where it is and
// sends the form with the position (the page works without it, from the hospital's entrance); a
// guidance sign's page reads what the sign shows every 30 seconds and writes the counts in.
(function () {
  "use strict";
  var locate = document.getElementById("pk-locate");
  var form = document.getElementById("pk-find");
  if (locate && form && navigator.geolocation) {
    var status = document.getElementById("pk-locate-status");
    locate.hidden = false;
    locate.addEventListener("click", function () {
      var hospital = form.querySelector("select[name=hospital]");
      if (hospital && !hospital.value) { hospital.focus(); return; }
      if (status) { status.textContent = locate.getAttribute("data-locating") || ""; }
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("f-lat").value = p.coords.latitude.toFixed(6);
        document.getElementById("f-lon").value = p.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        if (status) { status.textContent = locate.getAttribute("data-failed") || ""; }
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
  var live = document.getElementById("pk-live");
  if (!live || !live.getAttribute("data-api") || !window.fetch) { return; }
  var words = { "满": live.getAttribute("data-full"), "—": live.getAttribute("data-unknown"), "关闭": live.getAttribute("data-closed") };
  function refresh() {
    fetch(live.getAttribute("data-api"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (sign) {
        (sign.rows || []).forEach(function (row) {
          var cell = live.querySelector("td[data-lot='" + String(row.lot).replace(/'/g, "") + "']");
          if (cell) { cell.textContent = words[row.shown] || row.shown; }
        });
        live.setAttribute("data-refreshed", String(Date.now()));
        var at = document.getElementById("pk-refreshed");
        if (at && sign.at) {
          var d = new Date(new Date(sign.at).getTime() + 8 * 3600 * 1000);
          var pad = function (n) { return (n < 10 ? "0" : "") + n; };
          at.textContent = "(" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + ")";
        }
      })
      .catch(function () { /* the next round, or the refresh link, tries again */ });
  }
  window.setInterval(refresh, 30000);
})();
