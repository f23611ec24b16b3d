// Web chat client: plain JavaScript, no build step. Text is always inserted as text nodes,
// never as HTML, so nothing a person types (or the bot echoes) can run as markup.
(function () {
  "use strict";
  var STORE = "cds-chat-v1";
  var TEXT_SIZE_STORE = "cds-chat-text-size";
  var MAX_KEPT = 200;
  var SOFT_LIMIT = 1000;   // the bot asks for a shorter message past this
  var HARD_LIMIT = 5000;   // the API refuses more
  var POLL_MS = 10000;
  var SSE_RETRY_MS = 60000;
  var URL_RE = /(https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]}»”])/g;
  var EMOJI_RE = null;   // built below: old browsers without \p{...} must still run the page
  try { EMOJI_RE = new RegExp("\\p{Extended_Pictographic}|\\uFE0F", "gu"); } catch (e) { /* */ }

  var root = document.documentElement;
  var log = document.getElementById("log");
  var choices = document.getElementById("choices");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var hint = document.getElementById("hint");
  var embedded = /(^|[?&])embed=1(&|$)/.test(location.search);
  var state = load();
  var queue = Promise.resolve();
  var events = null;
  var eventsSession = "";
  var sseBlockedUntil = 0;
  var pollTimer = null;
  var refocusChoices = false;   // a button was pressed from the keyboard: focus the next row

  // ---- storage -------------------------------------------------------------------------

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && Array.isArray(saved.items)) {
        if (!Array.isArray(saved.choices)) {
          // Stored by an earlier version of this page: the last reply's buttons.
          var last = saved.items[saved.items.length - 1];
          saved.choices = last && last.who === "bot" && Array.isArray(last.buttons) ? last.buttons : [];
        }
        return saved;
      }
    } catch (e) { /* a corrupt store starts a new conversation */ }
    return { session: "", items: [], choices: [] };
  }

  function save() {
    state.items = state.items.slice(-MAX_KEPT);
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // ---- rendering -----------------------------------------------------------------------

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url));
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed : null;
    } catch (e) { return null; }
  }

  function link(url, label) {
    var a = document.createElement("a");
    a.href = url.href;
    a.textContent = label;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function shortName(url) {
    return url.hostname.replace(/^www\./, "");
  }

  function appendText(parent, text) {
    // Web addresses become links showing only their site, so they stay one short line.
    String(text).split(URL_RE).forEach(function (part, i) {
      var url = i % 2 === 1 ? safeUrl(part) : null;
      if (url) {
        var a = link(url, shortName(url));
        a.title = url.href;
        parent.appendChild(a);
      } else if (part) {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function appendSources(bubble, links) {
    var shown = (links || []).filter(function (l) { return l && safeUrl(l.url) && l.label; });
    if (!shown.length) return;
    var box = document.createElement("p");
    box.className = "sources";
    shown.forEach(function (l, i) {
      // The label is the whole line ("Nguồn: Báo Dân trí, kiểm tra 04/01/2025").
      if (i) box.appendChild(document.createElement("br"));
      box.appendChild(link(safeUrl(l.url), String(l.label)));
    });
    bubble.appendChild(box);
  }

  function appendQr(bubble, text) {
    // A booking code (or a check-in link) to show at the door: a QR code under the text.
    if (!text || String(text).length > 300) return;
    var img = document.createElement("img");
    img.className = "qr";
    img.src = "/api/qr.svg?text=" + encodeURIComponent(String(text));
    img.alt = "Mã QR để đưa tình nguyện viên quét khi đến nơi";
    img.width = 148;
    img.height = 148;
    bubble.appendChild(img);
  }

  function render(item) {
    var bubble = document.createElement("div");
    bubble.className = "msg " + item.who;
    var body = document.createElement("div");
    body.className = "text";
    appendText(body, item.text);
    bubble.appendChild(body);
    if (item.who === "bot") {
      appendSources(bubble, item.links);
      appendQr(bubble, item.qr);
      bubble.appendChild(speakButton(bubble));
    }
    log.appendChild(bubble);
    return bubble;
  }

  function showChoices(buttons) {
    choices.textContent = "";
    (buttons || []).forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.label;
      if (String(b.label).length > 64) btn.className = "wide";
      btn.addEventListener("click", function () { press(b, btn); });
      choices.appendChild(btn);
    });
    choices.hidden = !choices.firstChild;
  }

  function setChoices(buttons) {
    state.choices = buttons || [];
    save();
    showChoices(state.choices);
  }

  function lockChoices(chosen) {
    Array.prototype.forEach.call(choices.querySelectorAll("button"), function (btn) {
      btn.disabled = true;
      if (btn === chosen) btn.classList.add("chosen");
    });
  }

  function unlockChoices() {
    Array.prototype.forEach.call(choices.querySelectorAll("button"), function (btn) {
      btn.disabled = false;
      btn.classList.remove("chosen");
    });
  }

  function scrollToTop(el) {
    // Show the newest reply from its first line (the person's own message just above it
    // too when there is room); its buttons are pinned below, so they are always in view.
    var top = el.offsetTop;
    var before = el.previousElementSibling;
    if (before && before.classList.contains("me") && top - before.offsetTop < log.clientHeight / 3) {
      top = before.offsetTop;
    }
    log.scrollTop = Math.max(0, top - 8);
  }

  function markNewest(bubble) {
    var old = log.querySelector(".newest");
    if (old) old.classList.remove("newest");
    bubble.classList.add("newest");
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function add(item) {
    state.items.push(item);
    save();
    return render(item);
  }

  function addReplies(replies, pushed) {
    replies = replies || [];
    if (!replies.length) return;
    var focusWasInChoices = refocusChoices || choices.contains(document.activeElement);
    refocusChoices = false;
    var first = null;
    var buttons = [];
    replies.forEach(function (r, i) {
      var bubble = add({
        who: "bot", text: r.text, links: r.links || [], qr: r.qr || null, first: i === 0
      });
      if (!first) first = bubble;
      (r.buttons || []).forEach(function (b) {
        if (!buttons.some(function (x) { return x.payload === b.payload; })) buttons.push(b);
      });
    });
    // A message from someone else without buttons leaves the current choices as they are.
    if (!pushed || buttons.length) setChoices(buttons);
    markNewest(first);
    scrollToTop(first);
    if (focusWasInChoices) {
      var next = choices.querySelector("button");
      (next || log).focus({ preventScroll: true });
    }
  }

  // ---- talking to the server -----------------------------------------------------------

  function messageId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function showWaiting() {
    var note = document.createElement("div");
    note.className = "msg waiting";
    note.setAttribute("aria-hidden", "true");
    note.textContent = "Đang trả lời…";
    log.appendChild(note);
    scrollToEnd();
    return note;
  }

  function notice(text) {
    var note = document.createElement("div");
    note.className = "msg notice";
    note.setAttribute("role", "alert");
    note.textContent = text;
    log.appendChild(note);
    scrollToEnd();
  }

  function problem(status, data) {
    if (status === 429) {
      return (data && data.message) || "Bạn gửi hơi nhanh ạ. Xin chờ vài giây rồi gửi lại nhé.";
    }
    if (status === 413) {
      return "Tin nhắn dài quá nên chưa gửi được. Bạn gõ ngắn gọn câu hỏi chính rồi bấm Gửi lại nhé.";
    }
    if (status >= 500) {
      return "Hệ thống đang bận một chút. Bạn chờ một lát rồi bấm Gửi lại nhé.";
    }
    if (status === 0) {
      return "Chưa gửi được vì mất kết nối mạng. Bạn kiểm tra mạng rồi bấm Gửi lại nhé.";
    }
    return "Xin lỗi, tin nhắn chưa gửi được. Bạn kiểm tra lại rồi bấm Gửi lại nhé.";
  }

  function post(body) {
    body.session = state.session;
    body.message_id = messageId();
    var waiting = showWaiting();
    log.setAttribute("aria-busy", "true");
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        return { status: res.status, data: data };
      });
    }, function () {
      return { status: 0, data: null };
    }).then(function (r) {
      waiting.remove();
      log.removeAttribute("aria-busy");
      if (r.status === 200 && r.data) {
        if (r.data.session !== state.session) {
          state.session = r.data.session;
          save();
          listen();
        }
        addReplies(r.data.replies, false);
        return true;
      }
      notice(problem(r.status, r.data));
      return false;
    });
  }

  function enqueue(job) {
    queue = queue.then(job, job);
    return queue;
  }

  function dropItem(bubble, item) {
    var at = state.items.lastIndexOf(item);
    if (at >= 0) state.items.splice(at, 1);
    save();
    bubble.remove();
  }

  function press(button, btn) {
    if (btn.disabled) return;
    // Disabling the focused button drops the focus: remember to give it to the next row.
    refocusChoices = document.activeElement === btn;
    lockChoices(btn);   // at once: a second tap finds the row disabled
    var item = { who: "me", text: button.label };
    var bubble = add(item);
    scrollToEnd();
    enqueue(function () {
      return post({ payload: button.payload }).then(function (ok) {
        if (!ok) { dropItem(bubble, item); unlockChoices(); }
      });
    });
  }

  function sendText() {
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    if (text.length > HARD_LIMIT) { updateHint(); return; }
    input.value = "";
    autosize();
    updateHint();
    var item = { who: "me", text: text };
    var bubble = add(item);
    scrollToEnd();
    enqueue(function () {
      return post({ text: text }).then(function (ok) {
        if (ok) return;
        dropItem(bubble, item);
        // Keep what they typed, unless they have started typing something else meanwhile.
        if (!input.value.trim()) { input.value = text; autosize(); updateHint(); }
      });
    });
  }

  // ---- messages from others: Server-Sent Events, polling as the fallback ----------------

  function takeUpdates(data) {
    if (data && Array.isArray(data.replies)) addReplies(data.replies, true);
  }

  function poll() {
    if (!state.session) return;
    fetch("/api/updates?session=" + encodeURIComponent(state.session))
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(takeUpdates)
      .catch(function () { /* try again on the next tick */ });
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
  }

  function closeEvents() {
    if (events) { events.close(); events = null; }
  }

  function listen() {
    if (!state.session) { closeEvents(); stopPolling(); return; }
    if (events && eventsSession === state.session && events.readyState !== 2) return;
    closeEvents();
    if (!window.EventSource || Date.now() < sseBlockedUntil) { startPolling(); return; }
    eventsSession = state.session;
    var source = new EventSource("/api/events?session=" + encodeURIComponent(state.session));
    events = source;
    source.onopen = function () { stopPolling(); };
    source.onmessage = function (event) {
      try { takeUpdates(JSON.parse(event.data)); } catch (e) { /* a broken event is skipped */ }
    };
    source.onerror = function () {
      if (events !== source) return;
      startPolling();   // until the stream is back
      if (source.readyState === 2) {
        // Refused (busy, limited, unknown page): poll, and try the stream again later.
        closeEvents();
        sseBlockedUntil = Date.now() + SSE_RETRY_MS;
        setTimeout(listen, SSE_RETRY_MS);
      }
    };
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") listen();
  });

  // ---- reading aloud (where the browser has a Vietnamese voice) ------------------------

  var speech = window.speechSynthesis || null;
  var voice = null;
  var speaking = null;

  function findVoice() {
    var voices = speech ? speech.getVoices() : [];
    voice = voices.filter(function (v) { return /^vi([-_]|$)/i.test(v.lang || ""); })[0] || null;
    root.classList.toggle("can-speak", !!voice);
  }

  function spokenText(bubble) {
    var parts = [bubble.querySelector(".text").textContent];
    var sources = bubble.querySelector(".sources");
    if (sources) parts.push(sources.textContent);
    var text = parts.join("\n");
    return EMOJI_RE ? text.replace(EMOJI_RE, "") : text;
  }

  function speakButton(bubble) {
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "speak";
    btn.setAttribute("aria-pressed", "false");
    btn.textContent = "🔊 Đọc to";
    btn.addEventListener("click", function () {
      var wasMe = speaking === btn;
      stopSpeaking();
      if (wasMe || !voice) return;
      var utterance = new SpeechSynthesisUtterance(spokenText(bubble));
      utterance.lang = voice.lang || "vi-VN";
      utterance.voice = voice;
      utterance.rate = 0.9;
      utterance.onend = utterance.onerror = function () {
        if (speaking === btn) stopSpeaking();
      };
      speaking = btn;
      btn.setAttribute("aria-pressed", "true");
      btn.textContent = "⏹ Dừng đọc";
      speech.speak(utterance);
    });
    return btn;
  }

  function stopSpeaking() {
    if (speaking) {
      speaking.setAttribute("aria-pressed", "false");
      speaking.textContent = "🔊 Đọc to";
      speaking = null;
    }
    if (speech) speech.cancel();
  }

  if (speech) {
    findVoice();
    if (speech.addEventListener) speech.addEventListener("voiceschanged", findVoice);
  }

  // ---- the composer ----------------------------------------------------------------------

  function autosize() {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 4 + "px";
  }

  function number(n) {
    return n.toLocaleString("vi-VN");
  }

  function updateHint() {
    var n = input.value.trim().length;
    var text = "";
    if (n > HARD_LIMIT) {
      text = "Tin nhắn dài " + number(n) + " ký tự, quá dài để gửi (tối đa " + number(HARD_LIMIT) +
        "). Bạn gõ ngắn gọn câu hỏi chính giúp tôi nhé.";
    } else if (n > SOFT_LIMIT) {
      text = "Tin nhắn khá dài (" + number(n) + " ký tự). Câu hỏi ngắn gọn, dưới " +
        number(SOFT_LIMIT) + " ký tự, sẽ được trả lời tốt hơn ạ.";
    } else if (n > SOFT_LIMIT - 200) {
      text = "Còn " + number(SOFT_LIMIT - n) + " ký tự.";
    }
    hint.textContent = text;
    hint.hidden = !text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendText();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that ends a Telex/IME word is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendText();
    }
  });

  input.addEventListener("input", function () { autosize(); updateHint(); });

  // ---- header tools ------------------------------------------------------------------------

  var bigger = document.getElementById("bigger");

  function applyTextSize(big) {
    root.classList.toggle("big", big);
    bigger.setAttribute("aria-pressed", big ? "true" : "false");
    autosize();
  }

  bigger.addEventListener("click", function () {
    var big = !root.classList.contains("big");
    applyTextSize(big);
    try { localStorage.setItem(TEXT_SIZE_STORE, big ? "big" : "normal"); } catch (e) { /* ok */ }
  });

  document.getElementById("restart").addEventListener("click", function () {
    stopSpeaking();
    closeEvents();
    stopPolling();
    state = { session: "", items: [], choices: [] };
    save();
    log.textContent = "";
    showChoices([]);
    enqueue(function () { return post({ text: "/start" }); });
  });

  if (embedded) {
    root.classList.add("embedded");
    var close = document.getElementById("close");
    var askClose = function () {
      stopSpeaking();
      window.parent.postMessage("cds-chat:close", "*");
    };
    close.hidden = false;
    close.addEventListener("click", askClose);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") askClose();
    });
  }

  // ---- start ---------------------------------------------------------------------------

  try { applyTextSize(localStorage.getItem(TEXT_SIZE_STORE) === "big"); } catch (e) { /* ok */ }
  var lastFirst = null;
  state.items.forEach(function (item) {
    if (item.who === "notice") return;
    var bubble = render(item);
    if (item.who === "bot" && item.first) lastFirst = bubble;
  });
  showChoices(state.choices);
  if (state.items.length) {
    if (lastFirst) { markNewest(lastFirst); scrollToTop(lastFirst); } else scrollToEnd();
    listen();
    if (!window.EventSource) poll();
  } else {
    enqueue(function () { return post({ text: "/start" }); });
  }
  // On a phone the keyboard would cover half the page: focus only with a mouse.
  if (window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
    input.focus({ preventScroll: true });
  }
})();
