// Embed the web chat on another site with one tag:
//   <script src="https://HOST/static/embed.js" async></script>
// It adds a floating button that opens the chat page in a frame. The chat's server must
// list the site's origin in WEB_EMBED_ORIGINS, or the browser refuses to show the frame.
// Everything lives in a shadow root, so the site's styles and ours do not mix.
(function () {
  "use strict";
  if (window.cdsChatEmbed) return;   // the tag was added twice
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var chatUrl = origin + "/?embed=1";
  var LABEL_OPEN = "💬 Hỏi đáp Chuyển đổi số";
  var LABEL_CLOSE = "✕ Đóng";

  var css = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;",
    "  font: 600 20px/1.2 system-ui, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif;",
    "  min-height: 56px; padding: 12px 20px; border-radius: 28px; border: 2px solid #fff;",
    "  background: #b3261e; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.3); }",
    ".launcher:hover { background: #8f1d17; }",
    ".launcher:focus-visible { outline: 3px solid #f2a900; outline-offset: 3px; }",
    ".panel { position: fixed; right: 16px; bottom: 88px; z-index: 2147483000;",
    "  width: min(440px, calc(100vw - 32px)); height: min(760px, calc(100vh - 112px));",
    "  border-radius: 14px; overflow: hidden; background: #f4f6f8;",
    "  box-shadow: 0 8px 30px rgba(0,0,0,.35); }",
    ".panel[hidden] { display: none; }",
    ".panel iframe { display: block; width: 100%; height: 100%; border: 0; }",
    // A phone: the chat takes the whole screen; its own ✕ button closes it.
    "@media (max-width: 520px), (max-height: 560px) {",
    "  .panel { inset: 0; width: auto; height: auto; border-radius: 0; }",
    "  .open .launcher { display: none; }",
    "}"
  ].join("\n");

  var host = document.createElement("div");
  host.setAttribute("data-cds-chat", "");
  var shadow = host.attachShadow({ mode: "open" });
  var wrap = document.createElement("div");
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.textContent = LABEL_OPEN;
  launcher.setAttribute("aria-expanded", "false");
  var panel = document.createElement("div");
  panel.className = "panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Trợ lý Chuyển đổi số");
  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = chatUrl;
      frame.title = "Trợ lý Chuyển đổi số";
      panel.appendChild(frame);
    }
    panel.hidden = false;
    wrap.className = "open";
    launcher.textContent = LABEL_CLOSE;
    launcher.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function close() {
    panel.hidden = true;
    wrap.className = "";
    launcher.textContent = LABEL_OPEN;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(); else close();
  });
  // The chat page asks to be closed (its ✕ button, or Esc inside it).
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data === "cds-chat:close" && !panel.hidden) close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) close();
  });

  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  try {
    // A constructed sheet is not an inline style, so a site's strict CSP still allows it.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = css;
    shadow.appendChild(style);
  }
  shadow.appendChild(wrap);
  window.cdsChatEmbed = { open: open, close: close };

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
