// МЦУ: the little glue htmx does not do itself. No inline scripts anywhere (CSP).
// The CSRF header rides on <body hx-headers:inherited> and the filters are an hx-get form; what stays here
// is the one rule htmx cannot state once for every element: a poll (hx-trigger="every …") is background
// and must not extend the idle timeout (mcu/security.py, docs/security.md), whoever writes the next poll.
(function () {
  "use strict";
  document.addEventListener("htmx:config:request", function (evt) {
    var ctx = evt.detail && evt.detail.ctx;
    if (ctx && ctx.request && ctx.request.headers && ctx.sourceEvent && ctx.sourceEvent.type === "every") {
      ctx.request.headers["X-MCU-Background"] = "1";
    }
  });
})();
