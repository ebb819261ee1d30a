// The time left on each card («осталось 2 ч 15 мин», «просрочено на 1 д 3 ч») and its age, kept current in an open page from
// the card's data-due (epoch seconds) every 30 s: the server renders the same words for a page without
// JavaScript and re-renders a lane when a card changes urgency (colour and order); this only moves the words.
// The words come from <meta name="mcu-due-words"> (translated on the server). No inline scripts (CSP).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="mcu-due-words"]');
  if (!meta) { return; }
  var words = JSON.parse(meta.content);

  function fill(template, name, value) { return template.replace("%(" + name + ")d", value).replace("%(" + name + ")s", value); }
  function span(seconds) {
    var minutes = Math.floor(seconds / 60);
    if (minutes < 1) { return words.under; }
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return fill(words.days, "n", days) + (hours ? " " + fill(words.hours, "n", hours) : ""); }
    if (hours) { return fill(words.hours, "n", hours) + (mins ? " " + fill(words.min, "n", mins) : ""); }
    return fill(words.min, "n", mins);
  }
  // A card's age («40 мин», «3 ч», «2 д») as mcu/board/cards.py writes it, from its <time data-at>: a card a
  // changed lane brings back unchanged (mcu/board/delta.py) keeps the element it had, so its age moves here.
  function age(seconds) {
    if (seconds < 60) { return words.now; }
    if (seconds < 3600) { return fill(words.min, "n", Math.floor(seconds / 60)); }
    if (seconds < 86400) { return fill(words.hours, "n", Math.floor(seconds / 3600)); }
    return fill(words.days, "n", Math.floor(seconds / 86400));
  }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll(".card time[data-at]").forEach(function (el) {
      var text = age(now - Number(el.dataset.at));
      if (el.textContent !== text) { el.textContent = text; }
    });
    document.querySelectorAll(".due[data-due] .due-left").forEach(function (el) {
      var seconds = Number(el.parentElement.dataset.due) - now;
      var text = seconds > 0 ? fill(words.left, "span", span(seconds)) : fill(words.late, "span", span(-seconds));
      if (el.textContent !== text) { el.textContent = text; }
    });
  }
  document.addEventListener("htmx:after:settle", tick);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", tick); } else { tick(); }
  setInterval(tick, 30000);
})();
