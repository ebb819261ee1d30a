// МЦУ board: the little glue htmx does not do itself. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  var token = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };
  // Send the CSRF token with every htmx request that changes state.
  document.addEventListener("htmx:config:request", function (evt) {
    var ctx = evt.detail && evt.detail.ctx;
    if (ctx && ctx.request && ctx.request.headers) {
      ctx.request.headers["X-CSRFToken"] = token();
      // Polls (hx-trigger="every …") are background: they must not extend the idle timeout
      // (mcu/security.py, docs/security.md).
      if (ctx.sourceEvent && ctx.sourceEvent.type === "every") {
        ctx.request.headers["X-MCU-Background"] = "1";
      }
    }
  });
  // Filters apply as soon as a select changes.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches && el.matches("form.filters select")) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
})();
