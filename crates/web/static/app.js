// minsheng pages: small progressive enhancements; every page works without this script.
(function () {
  "use strict";
  // Move focus to the error summary (or a success banner) so screen readers announce it.
  var target = document.querySelector("[data-autofocus]");
  if (target) { target.focus(); }
  // Prevent double submission: disable the submit button once a form is sent.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.sent === "1") { e.preventDefault(); return; }
    form.dataset.sent = "1";
    var btn = form.querySelector("button[type=submit]");
    if (btn) { btn.setAttribute("aria-disabled", "true"); btn.classList.add("is-busy"); }
  });
  // Print buttons (a claim slip), hidden until this script can make them work.
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.hidden = false;
    el.addEventListener("click", function () { window.print(); });
  });
  // Ask before actions that cannot be undone (withdraw, refuse).
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
})();
