// The control-room wall (docs/wall.md): asks the server every few seconds whether what it shows changed (204: no),
// puts the new live region in when it did, flashes new and newly overdue cards, ticks the clock and the cards'
// times, says when it has lost the server and keeps trying with backoff, reloads itself after an upgrade of the
// static files, and rotates through the city and its departments when the setting asks for it.
(function () {
  "use strict";
  var body = document.body;
  var live = document.getElementById("wall-live");
  if (!live || !body.classList.contains("wall")) { return; }
  var data = body.dataset;
  var pollMs = (parseFloat(data.pollSeconds) || 2) * 1000;
  var assets = data.assets;
  var rotateMs = (parseFloat(data.rotateSeconds) || 0) * 1000;
  var views = JSON.parse(data.views || "[]");
  var sound = data.sound === "1";
  var STALE_MS = 10000, MAX_BACKOFF_MS = 10000, TIMEOUT_MS = 8000;
  var offset = (parseInt(data.serverNow, 10) || Date.now()) - Date.now();  // the server's clock, not the TV's
  var lastOk = Date.now(), failures = 0, timer = null, revoked = false, busy = false, nextView = null, view = data.view;
  var banner = document.getElementById("wall-banner");
  var stats = window.__wall = { polls: 0, swaps: 0, failures: 0, updates: [] };  // read by the tests and the bench

  function serverNow() { return Date.now() + offset; }
  function format(options) {
    options.timeZone = data.tz;
    try { return new Intl.DateTimeFormat("ru-RU", options); } catch (e) { delete options.timeZone; return new Intl.DateTimeFormat("ru-RU", options); }
  }
  var hhmm = format({ hour: "2-digit", minute: "2-digit" });
  var hhmmss = format({ hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var day = format({ weekday: "long", day: "numeric", month: "long" });

  function setText(el, text) {  // only when it differs: a still screen changes nothing
    if (el && el.textContent !== text) { el.textContent = text; }
  }
  // «5 мин», «3 ч», «2 д», as mcu/wall/screen.py short_span writes them
  function span(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 3600) { return Math.floor(seconds / 60) + " мин"; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + " ч"; }
    return Math.floor(seconds / 86400) + " д";
  }
  function times() {
    var now = serverNow();
    live.querySelectorAll(".age[data-at]").forEach(function (el) {
      setText(el, span((now - parseInt(el.dataset.at, 10)) / 1000));
    });
    live.querySelectorAll(".due[data-due]").forEach(function (el) {
      var left = (parseInt(el.dataset.due, 10) - now) / 1000;
      setText(el, left <= 0 ? "⚠ −" + span(-left) : "ещё " + span(left));
    });
  }
  function tick() {
    var now = new Date(serverNow());
    setText(document.getElementById("wall-time"), hhmm.format(now));
    setText(document.getElementById("wall-date"), day.format(now));
    if (!revoked && Date.now() - lastOk > STALE_MS) {
      setText(banner, "Нет связи с сервером. Данные на " + hhmm.format(new Date(lastOk + offset)));
      banner.hidden = false;
    }
  }

  function cards() {
    var found = {};
    live.querySelectorAll(".wcard").forEach(function (el) { found[el.dataset.id] = el.dataset.late; });
    return found;
  }
  function overdueByLane() {
    var found = {};
    live.querySelectorAll(".tile").forEach(function (el) { found[el.dataset.lane] = parseInt(el.dataset.overdue, 10); });
    return found;
  }
  var audio = null;
  function beep() {
    if (!sound) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.6);
    } catch (e) { sound = false; }
  }

  function swap(html) {
    var before = cards(), lanesBefore = overdueByLane(), sameView = true, late = false;
    var state = document.getElementById("wall-state");
    var oldView = state && state.dataset.view;
    live.innerHTML = html;
    stats.swaps += 1;
    state = document.getElementById("wall-state");
    if (state) { sameView = state.dataset.view === oldView; view = state.dataset.view; }
    if (!sameView) { times(); return; }  // the rotation's next screen: nothing on it is "new"
    var recent = serverNow() - 15 * 60 * 1000;
    live.querySelectorAll(".wcard").forEach(function (el) {
      var was = before[el.dataset.id];
      if (was === undefined && parseInt(el.dataset.received, 10) >= recent) { el.classList.add("flash-new"); }
      if (was === "0" && el.dataset.late === "1") { el.classList.add("flash-late"); late = true; }
    });
    live.querySelectorAll(".tile").forEach(function (el) {
      var was = lanesBefore[el.dataset.lane];
      if (was !== undefined && parseInt(el.dataset.overdue, 10) > was) { el.classList.add("flash-late"); late = true; }
    });
    if (late) { beep(); }
    times();
  }

  function refused(html) {
    revoked = true;
    banner.hidden = true;
    live.innerHTML = html;
    stats.swaps += 1;
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function poll() {
    var state = document.getElementById("wall-state");
    if (!state || busy) { return; }
    busy = true;
    var url = new URL(state.dataset.poll, location.href);
    if (nextView !== null) {  // the rotation's turn: the next view, drawn anew
      url.searchParams.set("view", nextView);
      url.searchParams.set("v", "");
      nextView = null;
    }
    var controller = window.AbortController ? new AbortController() : null;
    var limit = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    var started = Date.now();
    stats.polls += 1;
    fetch(url.toString(), { cache: "no-store", credentials: "omit", redirect: "error",
      signal: controller ? controller.signal : undefined })
      .then(function (response) {
        clearTimeout(limit);
        if (response.status === 403) { return response.text().then(refused); }
        if (response.status !== 200 && response.status !== 204) { throw new Error("HTTP " + response.status); }
        var version = response.headers.get("X-MCU-Assets");
        if (version && assets && version !== assets) { location.reload(); return "reload"; }
        var now = parseInt(response.headers.get("X-MCU-Now"), 10);
        if (now) { offset = now - Date.now(); }
        lastOk = Date.now();
        failures = 0;
        banner.hidden = true;
        setText(document.getElementById("wall-updated"), "обновлено " + hhmmss.format(new Date(serverNow())));
        if (response.status === 204) { return null; }
        return response.text().then(function (html) {
          swap(html);
          stats.updates.push(Date.now() - started);
          if (stats.updates.length > 1000) { stats.updates.splice(0, 500); }
        });
      })
      .then(function (result) {
        busy = false;
        if (result === "reload") { return; }
        schedule(revoked ? 60000 : pollMs);
      })
      .catch(function () {
        busy = false;
        clearTimeout(limit);
        failures += 1;
        stats.failures += 1;
        tick();
        schedule(Math.min(MAX_BACKOFF_MS, pollMs * Math.pow(2, failures)));
      });
  }

  if (rotateMs > 0 && views.length > 1) {
    setInterval(function () {
      var at = views.indexOf(view);
      nextView = views[(at + 1) % views.length];
      schedule(0);
    }, rotateMs);
  }
  setInterval(tick, 1000);
  setInterval(times, 15000);
  tick();
  times();
  schedule(pollMs);
})();
