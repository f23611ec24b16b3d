// Web chat client: plain JavaScript, no build step. Text is always inserted as text nodes,
// never as HTML, so nothing a person types (or the bot echoes) can run as markup.
(function () {
  "use strict";
  var STORE = "cds-chat-v1";
  var MAX_KEPT = 200;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var state = load();

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && Array.isArray(saved.items)) return saved;
    } catch (e) { /* a corrupt store starts a new conversation */ }
    return { session: "", items: [] };
  }

  function save() {
    state.items = state.items.slice(-MAX_KEPT);
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function appendText(parent, text) {
    // Turn http(s) links into anchors, everything else stays plain text.
    var parts = String(text).split(/(https?:\/\/[^\s]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.appendChild(a);
      } else if (part) {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function render(item, live) {
    var bubble = document.createElement("div");
    bubble.className = "msg " + item.who;
    appendText(bubble, item.text);
    log.appendChild(bubble);
    if (item.buttons && item.buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      item.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.dataset.payload = b.payload;
        btn.addEventListener("click", function () { press(b); });
        row.appendChild(btn);
      });
      log.appendChild(row);
    }
    if (live) bubble.scrollIntoView({ block: "end" });
  }

  function add(item) {
    state.items.push(item);
    save();
    render(item, true);
  }

  function addReplies(replies) {
    (replies || []).forEach(function (r) {
      add({ who: "bot", text: r.text, buttons: r.buttons || [] });
    });
  }

  function messageId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function showWaiting() {
    var note = document.createElement("div");
    note.className = "msg waiting";
    note.setAttribute("aria-hidden", "true");
    note.textContent = "Đang trả lời…";
    log.appendChild(note);
    note.scrollIntoView({ block: "end" });
    return note;
  }

  function post(body) {
    body.session = state.session;
    body.message_id = messageId();
    var waiting = showWaiting();
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (data) { return { status: res.status, data: data }; });
    }).then(function (r) {
      waiting.remove();
      if (r.status === 200) {
        state.session = r.data.session;
        save();
        addReplies(r.data.replies);
      } else {
        add({ who: "notice", text: r.data.message || "Có lỗi, bạn thử lại nhé." });
      }
    }).catch(function () {
      add({ who: "notice", text: "Mất kết nối. Bạn kiểm tra mạng rồi thử lại nhé." });
    }).finally(function () {
      waiting.remove();
    });
  }

  function press(button) {
    add({ who: "me", text: button.label });
    post({ payload: button.payload });
  }

  function poll() {
    if (!state.session) return;
    fetch("/api/updates?session=" + encodeURIComponent(state.session))
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (data) addReplies(data.replies); })
      .catch(function () { /* try again on the next tick */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    add({ who: "me", text: text });
    post({ text: text });
  });

  document.getElementById("restart").addEventListener("click", function () {
    state = { session: "", items: [] };
    save();
    log.textContent = "";
    post({ text: "/start" });
  });

  state.items.forEach(function (item) { render(item, false); });
  if (state.items.length) {
    log.scrollTop = log.scrollHeight;
    poll();
  } else {
    post({ text: "/start" });
  }
  setInterval(poll, 10000);
  input.focus();
})();
