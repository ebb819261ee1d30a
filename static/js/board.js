// The board's moves: drag a card (Sortable.js) or open its «Переместить» menu; both post to one endpoint.
// The server answers with fresh columns (htmx partials) and a message; a refused move simply redraws the
// columns as they are, so the card springs back. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  var dragging = false;
  var pending = null;   // a dropped card waiting for the dialog: {item, from, index}
  var focusAfter = null; // the card whose menu button gets focus back after the swap

  function root() { return document.getElementById("lanes"); }
  function base() { var r = root(); return (r && r.dataset.incidents) || "/incidents/"; }
  function cellOf(list) {
    var cell = list.closest(".cell"), lane = list.closest(".lane");
    return { status: cell.dataset.status, department: lane.dataset.lane };
  }
  function nextCard(item) {
    var next = item.nextElementSibling;
    while (next && !(next.classList && next.classList.contains("card"))) { next = next.nextElementSibling; }
    return next;
  }
  // A drop sent twice (a retried request) is carried out once: it carries a token of its own.
  function oneTimeToken() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function springBack() {
    if (pending && pending.item.isConnected) {
      pending.from.insertBefore(pending.item, pending.from.children[pending.index] || null);
    }
    pending = null;
  }

  function dropped(evt) {
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) { return; }
    var item = evt.item, from = cellOf(evt.from), to = cellOf(evt.to), next = nextCard(item);
    pending = { item: item, from: evt.from, index: evt.oldIndex };
    focusAfter = null;
    var values = {
      version: item.dataset.version, to_status: to.status, from_status: from.status,
      from_department: from.department, before: next ? next.dataset.id : "end", board: location.search,
      form_token: oneTimeToken()
    };
    if (to.department !== from.department) { values.to_department = to.department; }
    htmx.ajax("POST", base() + item.dataset.id + "/move", { target: "#board-notice", swap: "innerHTML", values: values });
  }

  function init() {
    var r = root();
    if (!r || !window.Sortable || !r.dataset.drag) { return; }
    var mode = r.dataset.drag;
    r.querySelectorAll("ol.cards").forEach(function (list) {
      if (Sortable.get(list)) { return; }
      var lane = list.closest(".lane");
      Sortable.create(list, {
        group: mode === "board" ? "board" : "lane-" + lane.dataset.lane,
        draggable: ".card", filter: ".card-move, .card-pick", preventOnFilter: false,
        animation: 120, delay: 250, delayOnTouchOnly: true, emptyInsertThreshold: 24,
        onStart: function () { dragging = true; },
        onEnd: function (evt) { dragging = false; dropped(evt); }
      });
    });
  }

  document.addEventListener("click", function (evt) {
    var el = evt.target;
    if (!el.closest) { return; }
    var button = el.closest(".card-move");
    if (button) {
      var card = button.closest(".card"), cell = cellOf(card.parentElement);
      pending = null;
      focusAfter = card.dataset.id;
      var query = new URLSearchParams({ version: card.dataset.version, from_status: cell.status,
        from_department: cell.department, board: location.search, before: "top" });
      htmx.ajax("GET", base() + card.dataset.id + "/move?" + query.toString(),
        { target: "#move-dialog-slot", swap: "innerHTML" });
      return;
    }
    var cancel = el.closest(".dialog-cancel");
    if (cancel) { cancel.closest("dialog").close(); }
  });

  // Bulk selection (issue 14): the picked cards' ids, with the version each showed when picked, live here rather
  // than in the page, so a redraw (a poll, a move) keeps them; the bar's hidden `card` fields are written from it.
  var picked = new Map();
  var lastPick = null; // the id of the card last picked or unpicked: shift-click extends from it
  function bulkBar() { return document.getElementById("bulk-bar"); }
  function syncBar() {
    var form = bulkBar();
    if (!form) { return; }
    var box = form.querySelector(".bulk-cards");
    box.textContent = "";
    picked.forEach(function (version, id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "card"; input.value = id + ":" + version;
      box.appendChild(input);
    });
    form.querySelector(".bulk-count").textContent = String(picked.size);
    form.querySelector("input[name=board]").value = location.search;
    form.hidden = picked.size === 0;
  }
  function recheck() {
    document.querySelectorAll("#lanes .card").forEach(function (card) {
      var on = picked.has(card.dataset.id), box = card.querySelector(".card-pick");
      if (box) { box.checked = on; }
      card.classList.toggle("picked", on);
    });
  }
  function pick(card, on) {
    if (on) { picked.set(card.dataset.id, card.dataset.version); } else { picked.delete(card.dataset.id); }
  }
  document.addEventListener("click", function (evt) {
    var el = evt.target;
    if (!el.closest) { return; }
    var box = el.closest(".card-pick");
    if (box) {
      var cards = Array.prototype.slice.call(document.querySelectorAll("#lanes .card"));
      var card = box.closest(".card"), from = -1;
      cards.forEach(function (c, i) { if (c.dataset.id === lastPick) { from = i; } });
      if (evt.shiftKey && from >= 0) {  // a range, in the board's order, set as this box now is
        var to = cards.indexOf(card);
        cards.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (c) { pick(c, box.checked); });
      } else {
        pick(card, box.checked);
      }
      lastPick = card.dataset.id;
      recheck(); syncBar();
      return;
    }
    var column = el.closest(".cell-pick");
    if (column) {  // «выбрать все в колонке»; a second press unpicks them
      var inCell = Array.prototype.slice.call(column.closest(".cell").querySelectorAll(".card"));
      var all = inCell.every(function (c) { return picked.has(c.dataset.id); });
      inCell.forEach(function (c) { pick(c, !all); });
      recheck(); syncBar();
      return;
    }
    if (el.closest(".bulk-clear")) { picked.clear(); lastPick = null; recheck(); syncBar(); return; }
    if (el.closest("#bulk-bar button[type=submit]")) { syncBar(); }
  });
  // A carried-out bulk action empties the selection; a refused one keeps it (the notice names the cards).
  document.addEventListener("htmx:after:request", function (evt) {
    var form = evt.target && evt.target.closest && evt.target.closest("#bulk-bar");
    if (!form) { return; }
    var status = evt.detail && evt.detail.ctx && evt.detail.ctx.response ? evt.detail.ctx.response.status : 0;
    form.querySelector("input[name=form_token]").value = oneTimeToken();
    if (status === 200) { picked.clear(); lastPick = null; syncBar(); }
  });

  // «Ответить…»: choosing a template puts its text (already filled in for this message) in the answer box.
  document.addEventListener("change", function (evt) {
    var select = evt.target.closest && evt.target.closest("select.answer-template");
    if (!select) { return; }
    var option = select.options[select.selectedIndex];
    var box = document.getElementById(select.getAttribute("aria-controls"));
    if (box && option && option.hasAttribute("data-body")) { box.value = option.getAttribute("data-body"); box.focus(); }
  });

  // A closed dialog (Отмена, Esc) puts a dropped card back and leaves the page as it was.
  document.addEventListener("close", function (evt) {
    if (evt.target.matches && evt.target.matches("#move-dialog-slot dialog")) {
      springBack();
      var slot = document.getElementById("move-dialog-slot");
      if (slot) { slot.innerHTML = ""; }
      refocus();
    }
  }, true);

  function refocus() {
    if (!focusAfter) { return; }
    var card = document.getElementById("incident-" + focusAfter);
    var button = card && card.querySelector(".card-move");
    if (button) { button.focus(); }
  }

  // Background polls wait while a card is being dragged or the dialog is open.
  document.addEventListener("htmx:before:request", function (evt) {
    var open = document.querySelector("#move-dialog-slot dialog[open]");
    if ((dragging || open) && evt.target && evt.target.id === "board-poll") { evt.preventDefault(); }
  });

  // A card that changed (or arrived) since the page last showed it flashes briefly, on every screen.
  var seen = null;
  function versions() {
    var found = {};
    document.querySelectorAll("#lanes .card").forEach(function (card) { found[card.id] = card.dataset.version; });
    return found;
  }
  // (taken when the answer arrives, before htmx applies its partials)
  document.addEventListener("htmx:after:request", function () { if (!dragging) { seen = versions(); } });
  // (compared when the whole answer is in: htmx 4 fires after:swap for the request once its partials are placed)
  document.addEventListener("htmx:after:swap", function () {
    if (!seen) { return; }
    var before = seen;
    seen = null;
    document.querySelectorAll("#lanes .card").forEach(function (card) {
      if (before[card.id] !== card.dataset.version) {
        card.classList.remove("changed");
        void card.offsetWidth; // restart the animation on a card that changes twice in a row
        card.classList.add("changed");
        setTimeout(function () { card.classList.remove("changed"); }, 2600);
      }
    });
  });
  // Sortable leaves inline styles (will-change, animation transforms) on cards; htmx clones elements with
  // a matching id while swapping, and a clone's style attribute is a CSP report under style-src 'self'.
  // A changed lane comes thinned (mcu/board/delta.py): each cell or card this screen already shows unchanged is a
  // stub naming it, and the screen's own element goes back in its place before the lane is morphed. A stub naming
  // something this screen lacks keeps the lane as it is, and the next poll names no version for it, which the
  // server answers with every lane whole.
  var wholeNext = [];
  // The screen keeps its own element only when it is what the server thinks it is: a card at the stub's version,
  // a cell with the stub's sum (FNV-1a of «count|id.version,…», as mcu/board/delta.py computes it).
  function fnv(text) {
    var value = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) { value = Math.imul(value ^ text.charCodeAt(i), 0x01000193) >>> 0; }
    return value.toString(16);
  }
  function same(own, stub) {
    if (stub.hasAttribute("data-version")) { return own.dataset.version === stub.getAttribute("data-version"); }
    var count = own.querySelector(".count");
    var cards = Array.prototype.map.call(own.querySelectorAll(".cards > .card"), function (card) {
      return card.dataset.id + "." + card.dataset.version;
    });
    return fnv((count ? count.textContent.trim() : "") + "|" + cards.join(",")) === stub.getAttribute("data-sum");
  }
  document.addEventListener("htmx:before:swap", function (evt) {
    document.querySelectorAll("#lanes .card[style], #lanes .cards[style]").forEach(function (el) {
      el.removeAttribute("style");
    });
    var tasks = (evt.detail && evt.detail.tasks) || [];
    for (var i = tasks.length - 1; i >= 0; i--) {
      var fragment = tasks[i].fragment;
      if (!fragment || !fragment.querySelectorAll) { continue; }
      var lacking = false;
      fragment.querySelectorAll("[data-keep]").forEach(function (stub) {
        var own = document.getElementById(stub.getAttribute("data-keep"));
        if (own && same(own, stub)) { stub.replaceWith(own.cloneNode(true)); } else { lacking = true; }
      });
      if (lacking) {
        var lane = fragment.querySelector("section.lane[data-lane]");
        if (lane) { wholeNext.push(lane.getAttribute("data-lane")); }
        tasks.splice(i, 1);
      }
    }
  });
  document.addEventListener("htmx:after:swap", function () {
    var poll = document.getElementById("board-poll");
    if (!wholeNext.length || !poll) { return; }
    var url = poll.getAttribute("hx-get");
    wholeNext.forEach(function (key) {
      url = url.replace(new RegExp("(%2C|,)" + key + "\\.\\d+"), "$1" + key + ".whole");
    });
    wholeNext = [];
    poll.setAttribute("hx-get", url);
  });
  document.addEventListener("htmx:after:swap", function () {
    init();
    recheck();
    var dialog = document.querySelector("#move-dialog-slot dialog");
    if (dialog && !dialog.open) { dialog.showModal(); return; }
    if (!dialog) { refocus(); }
  });
  document.addEventListener("htmx:error", springBack);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
