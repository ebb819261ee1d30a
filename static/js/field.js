// «Мои задачи»: nothing typed is lost on a bad network. What the field worker types (localStorage) and the photos
// chosen (Blobs in IndexedDB) are kept per person and task until the server confirms a send. A failed send (no
// network, a timeout, a conflict, an expired session, a refused photo) keeps everything and offers «Отправить ещё
// раз», which sends the same one-time form token again: the server carries a send out once (mcu/field/views.py).
// htmx cannot keep files across a reload, hence this script. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  var BASE_TIMEOUT_MS = 30000, BYTES_PER_MS = 50; // 30 s, plus a second for every 50 KB of photos (slow 3G)
  var memory = []; // photos when IndexedDB cannot be used (a private window): kept while the page is open
  var opened = null;

  function openDb() {
    if (!opened) {
      opened = new Promise(function (resolve) {
        if (!window.indexedDB) { resolve(null); return; }
        var request = indexedDB.open("mcu-field", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("photos", { keyPath: "id", autoIncrement: true }).createIndex("draft", "draft");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { resolve(null); };
      });
    }
    return opened;
  }
  // One IndexedDB transaction: work(store) may return a request whose result the promise gives.
  function inStore(mode, work) {
    return openDb().then(function (db) {
      if (!db) { return null; }
      return new Promise(function (resolve, reject) {
        var t = db.transaction("photos", mode), request = work(t.objectStore("photos")), result = null;
        if (request) { request.onsuccess = function () { result = request.result; }; }
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  var photos = {
    list: function (key) {
      return inStore("readonly", function (s) { return s.index("draft").getAll(key); }).then(function (found) {
        return (found || []).concat(memory.filter(function (p) { return p.draft === key; }));
      });
    },
    add: function (key, file, tag) {
      var item = { draft: key, blob: file, tag: tag, type: file.type, size: file.size };
      return inStore("readwrite", function (s) { return s.add(item); }).then(function (id) {
        if (id === null) { throw new Error("no IndexedDB"); }
      }).catch(function () { item.id = "m" + Math.random(); memory.push(item); });
    },
    remove: function (id) {
      memory = memory.filter(function (p) { return p.id !== id; });
      return typeof id === "number" ? inStore("readwrite", function (s) { s.delete(id); }) : Promise.resolve();
    },
    clear: function (key) {
      return photos.list(key).then(function (items) {
        return Promise.all(items.map(function (item) { return photos.remove(item.id); }));
      });
    }
  };

  // The draft of one task for one person: {text, token, version, step, failed, message, login}.
  function keyOf(form) { return "mcu.field." + form.dataset.user + "." + form.dataset.task; }
  function readDraft(form) {
    try { return JSON.parse(localStorage.getItem(keyOf(form))) || {}; } catch (e) { return {}; }
  }
  function writeDraft(form, draft) {
    try { localStorage.setItem(keyOf(form), JSON.stringify(draft)); } catch (e) { /* full: photos still kept */ }
  }
  function dropDraft(form) {
    localStorage.removeItem(keyOf(form));
    return photos.clear(keyOf(form));
  }
  function words(form) { return form.querySelector(".draft-state").dataset; }
  function csrf() { var meta = document.querySelector('meta[name="csrf-token"]'); return meta ? meta.content : ""; }
  function newToken() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function tagName(form, tag) {
    var input = form.querySelector('input[name="tag"][value="' + tag + '"]');
    return input ? input.parentElement.textContent.trim() : tag;
  }

  function drawPhotos(form) {
    var list = form.querySelector(".draft-photos"), w = words(form);
    return photos.list(keyOf(form)).then(function (items) {
      list.textContent = "";
      items.forEach(function (item, index) {
        var li = document.createElement("li"), label = document.createElement("span");
        var button = document.createElement("button");
        label.textContent = w.photo + " " + (index + 1) + " · " + tagName(form, item.tag) + " · " +
          (item.size / 1048576).toFixed(1).replace(".", ",") + " " + w.mb;
        button.type = "button";
        button.className = "draft-remove";
        button.dataset.id = item.id;
        button.textContent = w.remove;
        li.append(label, button);
        list.append(li);
      });
    });
  }

  function showState(form, draft) {
    var box = form.querySelector(".draft-state"), text = box.querySelector(".draft-message");
    text.textContent = draft.message || words(form).failed;
    if (draft.login) {
      var link = document.createElement("a");
      link.href = draft.login;
      link.textContent = words(form).signIn;
      text.append(" ", link);
    }
    box.hidden = !draft.failed;
  }

  function init(form) {
    if (form.dataset.ready) { return; }
    form.dataset.ready = "1";
    var draft = readDraft(form);
    if (typeof draft.text === "string") { form.elements.text.value = draft.text; }
    if (draft.token) { form.elements.form_token.value = draft.token; }
    if (draft.version) { form.elements.version.value = draft.version; }
    if (draft.failed) { showState(form, draft); }
    drawPhotos(form);
  }

  function busy(form, on) {
    form.setAttribute("aria-busy", on ? "true" : "false");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = on; });
  }

  function failed(form, draft, message, login) {
    draft.failed = true;
    draft.message = message;
    draft.login = login || "";
    writeDraft(form, draft);
    busy(form, false);
    showState(form, draft);
  }

  // The task's fresh block from an answer (the server renders the same template), or null.
  function fragment(html, task) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector('article.task[data-task="' + task + '"]');
  }
  function noticeOf(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var found = holder.content.querySelector(".notice");
    return found ? found.textContent.trim() : "";
  }
  function swap(form, fresh) {
    form.closest("article.task").replaceWith(fresh);
    var next = fresh.querySelector("form.task-send");
    if (next) { init(next); }
    return next;
  }

  function answered(form, draft, items, response) {
    var login = response.headers.get("HX-Redirect");
    if (response.status === 401 && login) { failed(form, draft, words(form).session, login); return null; }
    var refused = (response.headers.get("X-MCU-Refused-Files") || "").split(",").filter(Boolean);
    return response.text().then(function (html) {
      var fresh = fragment(html, form.dataset.task);
      if (response.ok && fresh) { // confirmed: the draft has done its work
        return dropDraft(form).then(function () { swap(form, fresh); });
      }
      var removed = refused.map(function (index) { var item = items[Number(index)]; return item && photos.remove(item.id); });
      return Promise.all(removed).then(function () {
        var message = fresh ? words(form).failed : (noticeOf(html) || words(form).failed);
        var version = fresh && fresh.querySelector('input[name="version"]');
        if (version) { draft.version = version.value; } // a conflict: resent at the card's version now
        var target = fresh ? swap(form, fresh) : form;
        if (target) { failed(target, draft, message); drawPhotos(target); }
      });
    });
  }

  function send(form, step) {
    var draft = readDraft(form);
    draft.text = form.elements.text.value;
    draft.token = draft.token || form.elements.form_token.value;
    draft.version = draft.version || form.elements.version.value;
    draft.step = step;
    writeDraft(form, draft);
    busy(form, true);
    return photos.list(keyOf(form)).then(function (items) {
      var body = new FormData(), bytes = 0;
      body.append("form_token", draft.token);
      body.append("version", draft.version);
      body.append("step", step);
      body.append("text", draft.text);
      items.forEach(function (item, index) {
        var extension = (item.type.split("/")[1] || "jpg").replace(/[^a-z0-9]/g, "");
        body.append("photos", item.blob, "photo-" + (index + 1) + "." + extension);
        body.append("photo_tag", item.tag);
        bytes += item.size;
      });
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, BASE_TIMEOUT_MS + bytes / BYTES_PER_MS);
      return fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin", signal: controller.signal,
        headers: { "HX-Request": "true", "HX-Current-URL": location.href, "X-CSRFToken": csrf() }
      }).then(function (response) {
        clearTimeout(timer);
        return answered(form, draft, items, response);
      }, function () {
        clearTimeout(timer);
        failed(form, draft, words(form).offline);
      });
    });
  }

  function formOf(el) { var form = el.closest && el.closest("form.task-send"); return form || null; }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form.task-send")) { return; }
    evt.preventDefault();
    if (form.getAttribute("aria-busy") === "true") { return; }
    var button = evt.submitter;
    send(form, button && button.name === "step" ? button.value : "");
  });
  document.addEventListener("input", function (evt) {
    var form = formOf(evt.target);
    if (!form || evt.target.name !== "text") { return; }
    var draft = readDraft(form);
    draft.text = evt.target.value;
    writeDraft(form, draft);
  });
  document.addEventListener("change", function (evt) {
    var input = evt.target, form = formOf(input);
    if (!form || input.name !== "photos") { return; }
    var checked = form.querySelector('input[name="tag"]:checked'), tag = checked ? checked.value : "after";
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    files.reduce(function (done, file) {
      return done.then(function () { return photos.add(keyOf(form), file, tag); });
    }, Promise.resolve()).then(function () { drawPhotos(form); });
  });
  document.addEventListener("click", function (evt) {
    var el = evt.target, form = formOf(el);
    if (!form) { return; }
    if (el.closest(".draft-remove")) {
      var id = el.closest(".draft-remove").dataset.id;
      photos.remove(/^\d+$/.test(id) ? Number(id) : id).then(function () { drawPhotos(form); });
    } else if (el.closest(".draft-resend")) {
      send(form, readDraft(form).step || "");
    } else if (el.closest(".draft-discard")) {
      dropDraft(form).then(function () {
        form.elements.text.value = "";
        form.elements.form_token.value = newToken(); // the dropped send may have gone through: this is a new one
        showState(form, {});
        drawPhotos(form);
      });
    }
  });

  function start() { document.querySelectorAll("form.task-send").forEach(init); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
