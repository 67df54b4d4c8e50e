/*
 * cxbot chat widget: one <script src=".../widget.js"> tag adds a chat bubble to any page.
 *
 *   <script src="https://chat.example.com/widget.js" defer
 *           data-title="Chat with us" data-color="#2f5bea" data-greeting="Hi! How can we help?"
 *           data-position="right" data-lang="en" data-telegram="on"
 *           data-user-id="42" data-user-hash="<hex HMAC-SHA256 of the id>"></script>
 *
 * data-lang="fa" (or, without data-lang, a page in Persian: <html lang="fa">) gives the Persian
 * interface: Persian strings, right to left (the panel mirrored, the launcher in the left corner
 * unless data-position says otherwise), a Persian-capable font stack of fonts the visitor has.
 * Every message tells the server the interface language as `metadata.language_hint`.
 *
 * Plain JavaScript, no build step. Everything lives in a Shadow DOM so the page's CSS cannot
 * reach it, and every message is put on the page with textContent: nothing a message contains
 * is ever parsed as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__cxbotWidget) return;
  window.__cxbotWidget = true;

  var server = new URL(script.src, location.href);
  var HTTP_BASE = server.origin;
  var WS_BASE = (server.protocol === "https:" ? "wss://" : "ws://") + server.host;
  var MAX_CHARS = 4000;
  var STORAGE_KEY = "cxbot-widget:visitor";
  var ACTIVE_KEY = "cxbot-widget:active";
  var POLL_MS = 10000; // REST fallback: how often to look for staff replies
  var RETRY_LIMIT = 6; // a message the server asks us to resend, at most this often

  // The interface's own words; a shop's data-title and data-greeting replace the first two.
  var STRINGS = {
    en: {
      title: "Chat with us", greeting: "Hi! How can we help you today?", open: "Open chat: {title}",
      unread: "Open chat: {title} ({n} new)", close: "Close chat", log: "Conversation", telegram: "Continue on Telegram",
      typing: "The assistant is typing", form: "Send a message", input: "Your message",
      placeholder: "Type a message…", sendLabel: "Send message", send: "Send",
      teamMember: "A team member", joined: "{name} joined the conversation",
      left: "{name} left the conversation", choose: "Choose an answer", notSent: "Not sent",
      failed: "Sorry, that message couldn't be sent: {reason}",
      refused: "Sorry, the chat isn't available right now ({reason}). Please reload the page or contact us another way.",
      tryAgain: "please try again", notVerified: "your account could not be verified",
      reconnecting: "Reconnecting…", unreachable: "the chat server can't be reached",
      tooLong: "Please keep messages under {max} characters.",
    },
    fa: {
      title: "گفتگو با ما", greeting: "سلام! چطور می‌توانیم به شما کمک کنیم؟", open: "باز کردن گفتگو: {title}",
      unread: "باز کردن گفتگو: {title} ({n} پیام تازه)", close: "بستن گفتگو", log: "گفتگو", telegram: "ادامه در تلگرام",
      typing: "دستیار در حال نوشتن است", form: "فرستادن پیام", input: "پیام شما",
      placeholder: "پیامتان را بنویسید…", sendLabel: "فرستادن پیام", send: "ارسال",
      teamMember: "یکی از همکاران ما", joined: "{name} به گفتگو پیوست",
      left: "{name} گفتگو را ترک کرد", choose: "یک پاسخ را انتخاب کنید", notSent: "فرستاده نشد",
      failed: "متأسفیم، این پیام فرستاده نشد: {reason}",
      refused: "متأسفیم، گفتگو در حال حاضر در دسترس نیست ({reason}). لطفاً صفحه را دوباره بارگذاری کنید یا از راه دیگری با ما تماس بگیرید.",
      tryAgain: "لطفاً دوباره تلاش کنید", notVerified: "حساب شما تأیید نشد",
      reconnecting: "در حال اتصال دوباره…", unreachable: "سرور گفتگو در دسترس نیست",
      tooLong: "لطفاً پیام را کوتاه‌تر از {max} نویسه بنویسید.",
      // The server explains its errors in English; the Persian widget says them by their code.
      codes: {
        invalid: "این پیام پذیرفته نشد", too_large: "پیام خیلی طولانی است",
        starting: "دستیار در حال آماده شدن است", internal: "مشکلی در سمت ما پیش آمد",
        identity_refused: "حساب شما تأیید نشد", origin_refused: "این وب‌سایت اجازهٔ نمایش گفتگو را ندارد",
        rate_limited: "پیام‌ها خیلی سریع فرستاده می‌شوند؛ کمی صبر کنید و دوباره بفرستید",
      },
    },
  };
  var FONTS = {
    en: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif",
    // Installed fonts only (no download): Vazirmatn where the visitor has it, else Tahoma or Segoe UI.
    fa: "'Vazirmatn', 'Tahoma', 'Segoe UI', sans-serif",
  };

  var data = script.dataset;
  var LANG = widgetLanguage(data.lang, document.documentElement.lang);
  var RTL = LANG === "fa";
  var config = {
    title: (data.title || STRINGS[LANG].title).slice(0, 80),
    greeting: data.greeting === undefined ? STRINGS[LANG].greeting : data.greeting,
    color: validColor(data.color) || "#2f5bea",
    // The launcher sits where the page says; by default in the corner a reader starts from.
    position: data.position === "left" || data.position === "right" ? data.position : RTL ? "left" : "right",
    userId: data.userId || null,
    userHash: data.userHash || null,
    // data-telegram="on": the shop has a Telegram bot, so the header offers "Continue on Telegram".
    telegram: data.telegram === "on",
  };

  // data-lang wins; otherwise the page's own language; anything but Persian is English.
  function widgetLanguage(attribute, pageLang) {
    var chosen = String(attribute || pageLang || "").toLowerCase();
    return chosen === "fa" || chosen.indexOf("fa-") === 0 ? "fa" : "en";
  }

  // One of the interface's sentences, with {name}-style values put in as text.
  function t(key, values) {
    var text = STRINGS[LANG][key];
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  // Numbers in the reader's digits (۳ in Persian).
  function number(value) {
    if (!RTL) return String(value);
    try { return Number(value).toLocaleString("fa-IR", { useGrouping: false }); } catch (e) { return String(value); }
  }

  // The server's reason for an error, in the widget's language when the code has a translation.
  function reason(code, serverText) {
    var codes = STRINGS[LANG].codes;
    var known = codes && Object.prototype.hasOwnProperty.call(codes, code) ? codes[code] : null;
    return known || String(serverText || t("tryAgain"));
  }

  function validColor(value) {
    return value && window.CSS && CSS.supports("color", value) ? value : null;
  }

  function randomId(bytes) {
    var buffer = new Uint8Array(bytes);
    crypto.getRandomValues(buffer);
    return Array.prototype.map.call(buffer, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; } // blocked in some privacy modes
  }

  // The visitor's id stays in this browser, so a returning visitor continues the conversation.
  function visitorId() {
    var store = storage();
    var id = null;
    try { id = store && store.getItem(STORAGE_KEY); } catch (e) { id = null; }
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = randomId(16);
      try { if (store) store.setItem(STORAGE_KEY, id); } catch (e) { /* private mode: this visit only */ }
    }
    return id;
  }

  function remember(key, value) {
    try { var store = storage(); if (store) store.setItem(key, value); } catch (e) { /* ignore */ }
  }

  function recall(key) {
    try { var store = storage(); return store ? store.getItem(key) : null; } catch (e) { return null; }
  }

  var identity = { visitor: visitorId() };
  if (config.userId || config.userHash) {
    identity.user_id = config.userId || "";
    identity.user_hash = config.userHash || "";
  }

  function query() {
    var params = new URLSearchParams();
    Object.keys(identity).forEach(function (key) { params.set(key, identity[key]); });
    return params.toString();
  }

  /* ---------- the DOM (built with createElement only) ---------- */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(pathData) {
    var ns = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    icon.appendChild(path);
    return icon;
  }

  var CSS_TEXT = [
    ":host { all: initial; }",
    ".cx { --cx-accent: " + config.color + "; position: fixed; bottom: 20px; " + config.position + ": 20px;",
    "  z-index: 2147483000; font: 15px/1.4 " + FONTS[LANG] + ";",
    "  color: #1d2330; }",
    ".cx *, .cx *::before, .cx *::after { box-sizing: border-box; }",
    ".launcher { width: 58px; height: 58px; border-radius: 50%; border: 0; cursor: pointer;",
    "  background: var(--cx-accent); color: #fff; box-shadow: 0 6px 20px rgba(0,0,0,.25);",
    "  display: flex; align-items: center; justify-content: center; position: relative; }",
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; }",
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, .log:focus-visible {",
    "  outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".badge { position: absolute; top: -2px; " + (config.position === "left" ? "left" : "right") + ": -2px;",
    "  min-width: 20px; height: 20px; border-radius: 10px; background: #d93025; color: #fff;",
    "  font-size: 12px; line-height: 20px; padding: 0 5px; }",
    ".panel { position: absolute; bottom: 72px; " + config.position + ": 0; width: 360px;",
    "  max-width: calc(100vw - 40px); height: 520px; max-height: calc(100vh - 110px); background: #fff;",
    "  border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.28); display: flex;",
    "  flex-direction: column; overflow: hidden; }",
    ".panel[hidden], [hidden] { display: none !important; }",
    "header { background: var(--cx-accent); color: #fff; padding: 12px 14px; display: flex;",
    "  align-items: center; gap: 8px; }",
    "h2 { font-size: 16px; font-weight: 600; margin: 0; flex: 1; }",
    ".close { background: transparent; border: 0; color: inherit; cursor: pointer; width: 32px;",
    "  height: 32px; border-radius: 6px; display: flex; align-items: center; justify-content: center; }",
    ".close svg { width: 20px; height: 20px; fill: currentColor; }",
    ".log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px;",
    "  background: #f6f7f9; }",
    ".msg { display: flex; flex-direction: column; max-width: 85%; gap: 6px; }",
    ".msg.bot, .msg.agent { align-self: flex-start; }",
    ".msg.customer { align-self: flex-end; align-items: flex-end; }",
    ".bubble { padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere;",
    "  background: #fff; border: 1px solid #e3e6eb; }",
    ".msg.customer .bubble { background: var(--cx-accent); color: #fff; border-color: transparent; }",
    ".msg.agent .bubble { border-color: var(--cx-accent); }",
    ".author { font-size: 12px; color: #5f6776; }",
    ".msg.failed .bubble { opacity: .6; border: 1px dashed #d93025; }",
    ".msg img { max-width: 100%; border-radius: 10px; }",
    ".buttons { display: flex; flex-wrap: wrap; gap: 6px; }",
    ".buttons button { border: 1px solid var(--cx-accent); color: var(--cx-accent); background: #fff;",
    "  border-radius: 16px; padding: 5px 12px; font: inherit; cursor: pointer; }",
    ".buttons button:hover:not(:disabled) { background: var(--cx-accent); color: #fff; }",
    ".buttons button:disabled { cursor: default; opacity: .55; }",
    ".buttons button.chosen { background: var(--cx-accent); color: #fff; opacity: .8; }",
    ".marker { align-self: center; font-size: 12px; color: #5f6776; padding: 2px 10px;",
    "  border-radius: 10px; background: #e9ebef; }",
    ".typing { padding: 0 14px 8px; background: #f6f7f9; display: flex; gap: 4px; align-items: center; }",
    ".typing span { width: 7px; height: 7px; border-radius: 50%; background: #8a92a0;",
    "  animation: cx-blink 1.2s infinite ease-in-out; }",
    ".typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }",
    "@keyframes cx-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    "@media (prefers-reduced-motion: reduce) { .typing span { animation: none; } }",
    ".notice { font-size: 13px; color: #8a1c13; background: #fdecea; padding: 6px 14px; }",
    ".notice:empty { display: none; }",
    "form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e6eb; background: #fff; }",
    "textarea { flex: 1; resize: none; font: inherit; border: 1px solid #c9ced6; border-radius: 10px;",
    "  padding: 8px 10px; height: 40px; max-height: 120px; color: inherit; background: #fff; }",
    ".send { border: 0; border-radius: 10px; background: var(--cx-accent); color: #fff; padding: 0 14px;",
    "  font: inherit; font-weight: 600; cursor: pointer; }",
    ".send:disabled, textarea:disabled { opacity: .5; cursor: not-allowed; }",
    // dir="auto" reads an empty box as left to right: the Persian placeholder must not be.
    ".cx[dir=rtl] textarea:placeholder-shown { direction: rtl; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);",
    "  white-space: nowrap; }",
  ].join("\n");

  var host = el("div", { id: "cxbot-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = CSS_TEXT;
  shadow.appendChild(style);

  // dir on the widget's own root: an English widget stays left to right on a right-to-left page.
  var root = el("div", { class: "cx", dir: RTL ? "rtl" : "ltr", lang: LANG });
  var launcher = el("button", {
    class: "launcher", type: "button", "aria-label": t("open", { title: config.title }),
    "aria-expanded": "false", "aria-controls": "cx-panel",
  });
  launcher.appendChild(svg("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"));
  var badge = el("span", { class: "badge", "aria-hidden": "true" });
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el("section", { class: "panel", id: "cx-panel", role: "dialog", "aria-labelledby": "cx-title" });
  panel.hidden = true;
  var header = el("header");
  header.appendChild(el("h2", { id: "cx-title" }, config.title));
  var closeButton = el("button", { class: "close", type: "button", "aria-label": t("close") });
  closeButton.appendChild(svg("M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"));
  // "Continue on Telegram": a one-time deep link, asked for only when tapped (the server answers
  // 503 without Telegram, and then nothing opens).
  var telegramButton = el("button", { class: "telegram", type: "button" }, t("telegram"));
  telegramButton.addEventListener("click", function () {
    var opened = window.open("", "_blank");
    fetch(HTTP_BASE + "/widget/telegram-link?" + query(), { mode: "cors", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && /^https:\/\/t\.me\//.test(body.url) && opened) opened.location = body.url;
        else if (opened) opened.close();
      })
      .catch(function () { if (opened) opened.close(); });
  });
  if (config.telegram) header.appendChild(telegramButton);
  header.appendChild(closeButton);

  var log = el("div", {
    class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": t("log"), tabindex: "0",
  });
  var typing = el("div", { class: "typing", role: "status", "aria-label": t("typing") });
  typing.appendChild(el("span")); typing.appendChild(el("span")); typing.appendChild(el("span"));
  typing.hidden = true;
  var notice = el("div", { class: "notice", role: "status", "aria-live": "polite" });

  var form = el("form", { "aria-label": t("form") });
  var label = el("label", { class: "sr-only", for: "cx-input" }, t("input"));
  var input = el("textarea", {
    id: "cx-input", rows: "1", maxlength: String(MAX_CHARS), placeholder: t("placeholder"),
    dir: "auto", autocomplete: "off",
  });
  var sendButton = el("button", { class: "send", type: "submit", "aria-label": t("sendLabel") }, t("send"));
  form.appendChild(label); form.appendChild(input); form.appendChild(sendButton);

  panel.appendChild(header); panel.appendChild(log); panel.appendChild(typing);
  panel.appendChild(notice); panel.appendChild(form);
  root.appendChild(panel); root.appendChild(launcher);
  shadow.appendChild(root);

  /* ---------- rendering ---------- */

  var seen = {}; // message keys already on screen: history and live messages meet without doubles
  var unread = 0;

  function keyOf(message) {
    if (message.client_id) return "c:" + message.client_id;
    return message.id === null || message.id === undefined ? null : "s:" + message.id;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(text) {
    return el("div", { class: "bubble", dir: "auto" }, text);
  }

  function eventMarker(custom, said) {
    // The server's wording ("A team member (Ana) has joined") when it sends one.
    var name = typeof custom.name === "string" && custom.name ? custom.name : t("teamMember");
    var text = typeof said === "string" && said ? said
      : t(custom.event === "agent_joined" ? "joined" : "left", { name: name });
    return el("div", { class: "marker", role: "note", dir: "auto" }, text);
  }

  function buttonRow(buttons) {
    var row = el("div", { class: "buttons", role: "group", "aria-label": t("choose") });
    buttons.forEach(function (choice) {
      if (!choice || typeof choice.title !== "string") return;
      var button = el("button", { type: "button", dir: "auto" }, choice.title);
      button.addEventListener("click", function () {
        if (row.dataset.used) return;
        disableRow(row, button);
        send(String(choice.payload || choice.title), choice.title);
      });
      row.appendChild(button);
    });
    return row;
  }

  // One answer per row: the first tap disables all of them, so a double tap sends once.
  function disableRow(row, chosen) {
    row.dataset.used = "1";
    Array.prototype.forEach.call(row.querySelectorAll("button"), function (button) {
      button.disabled = true;
      if (button === chosen) {
        button.classList.add("chosen");
        button.setAttribute("aria-pressed", "true");
      }
    });
  }

  function render(message, live) {
    var key = keyOf(message);
    if (key && seen[key]) return seen[key];
    var node;
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    if (custom && (custom.event === "agent_joined" || custom.event === "agent_left")) {
      node = eventMarker(custom, message.text);
    } else {
      var from = message.from === "customer" || message.from === "agent" ? message.from : "bot";
      node = el("div", { class: "msg " + from });
      if (from === "agent" && custom && typeof custom.name === "string") {
        node.appendChild(el("span", { class: "author", dir: "auto" }, custom.name));
      }
      if (typeof message.text === "string" && message.text) node.appendChild(bubble(message.text));
      if (typeof message.image === "string" && /^https?:\/\//i.test(message.image)) {
        var image = el("img", { alt: "" });
        image.src = message.image;
        node.appendChild(image);
      }
      if (Array.isArray(message.buttons) && message.buttons.length) node.appendChild(buttonRow(message.buttons));
      if (!node.childNodes.length) return null;
    }
    if (key) seen[key] = node;
    log.appendChild(node);
    if (live && panel.hidden && message.from !== "customer") {
      unread += 1;
      badge.textContent = number(unread);
      badge.hidden = false;
      launcher.setAttribute("aria-label", t("unread", { title: config.title, n: number(unread) }));
    }
    scrollDown();
    return node;
  }

  // Buttons of answered questions (any customer message after them) cannot be tapped any more.
  function disableAnsweredButtons() {
    var rows = log.querySelectorAll(".buttons");
    Array.prototype.forEach.call(rows, function (row) {
      var next = row.parentNode.nextElementSibling;
      while (next) {
        if (next.classList.contains("customer")) { disableRow(row, null); break; }
        next = next.nextElementSibling;
      }
    });
  }

  function setNotice(text) { notice.textContent = text || ""; }

  /* ---------- sending: one id per message, resent until answered ---------- */

  var pending = new Map(); // client id -> {id, text, retries}
  var refused = false;

  function updateTyping() {
    typing.hidden = pending.size === 0;
    if (!typing.hidden) scrollDown();
  }

  function send(text, shown) {
    if (refused) return;
    var id = randomId(12);
    render({ client_id: id, from: "customer", text: shown || text });
    disableAnsweredButtons(); // as in history: earlier questions' buttons are spent
    remember(ACTIVE_KEY, "1");
    pending.set(id, { id: id, text: text, retries: 0 });
    updateTyping();
    transmit(pending.get(id));
  }

  function transmit(item) {
    if (!pending.has(item.id)) return;
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(frame(item)));
    } else if (restMode) {
      post(item);
    } else if (asleep) {
      asleep = false; // closed while idle: the visitor writes again, so connect again
      connect();
    } // otherwise the socket's next open sends everything still pending
  }

  // The interface language travels with every message: the server's hint for the reply language.
  function frame(item) {
    return { type: "message", id: item.id, text: item.text, metadata: { language_hint: LANG } };
  }

  function answered(clientId, messages) {
    pending.delete(clientId);
    (messages || []).forEach(function (message) { render(message, true); });
    updateTyping();
    setNotice("");
  }

  function failed(clientId, text, retry) {
    var item = clientId && pending.get(clientId);
    if (item && retry && item.retries < RETRY_LIMIT) {
      item.retries += 1;
      setTimeout(function () { transmit(item); }, 1000 * Math.pow(2, item.retries));
      return;
    }
    if (item) {
      pending.delete(clientId);
      var node = seen["c:" + clientId];
      if (node) {
        node.classList.add("failed");
        node.setAttribute("aria-label", t("notSent"));
      }
    }
    updateTyping();
    setNotice(t("failed", { reason: text }));
  }

  function refuse(text) {
    refused = true;
    pending.clear();
    updateTyping();
    input.disabled = true;
    sendButton.disabled = true;
    setNotice(t("refused", { reason: text }));
    stopPolling();
  }

  function handleEvent(event) {
    if (!event || typeof event !== "object") return;
    if (event.type === "replies") answered(event.reply_to, event.messages);
    else if (event.type === "messages") (event.messages || []).forEach(function (message) { render(message, true); });
    else if (event.type === "error") {
      if (event.code === "identity_refused") refuse(reason(event.code, event.message));
      else failed(event.reply_to, reason(event.code, event.message), event.retry);
    }
  }

  /* ---------- history ---------- */

  function loadHistory() {
    return fetch(HTTP_BASE + "/widget/history?" + query(), { mode: "cors", credentials: "omit" })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (result) {
        if (result.status === 403 && result.body.code === "identity_refused") {
          refuse(reason(result.body.code, result.body.error));
          return;
        }
        if (result.status !== 200) return;
        (result.body.messages || []).forEach(function (message) {
          render(message, false);
        });
        disableAnsweredButtons();
      })
      .catch(function () { /* the server is unreachable: the socket's reconnect will tell */ });
  }

  /* ---------- transport: WebSocket with backoff, REST when it cannot connect ---------- */

  var socket = null;
  var failures = 0;
  var restMode = false;
  var pollTimer = null;
  var reconnectTimer = null;
  var started = false;
  var asleep = false;

  function connect() {
    reconnectTimer = null;
    if (refused) return;
    if (typeof window.WebSocket !== "function") { enterRestMode(); return; }
    var opened = false;
    var ws;
    try {
      ws = new WebSocket(WS_BASE + "/widget/ws?" + query());
    } catch (e) {
      enterRestMode();
      return;
    }
    ws.onopen = function () {
      opened = true;
      socket = ws;
      failures = 0;
      leaveRestMode();
      setNotice("");
      loadHistory(); // catch up on anything sent while we were away
      pending.forEach(transmit);
    };
    ws.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      handleEvent(event);
    };
    ws.onclose = function (close) {
      if (socket === ws) socket = null;
      if (close.code === 4403 || refused) { if (!refused) refuse(t("notVerified")); return; }
      if (close.code === 4408) { asleep = true; return; } // idle: reconnect on the next message
      if (!opened) failures += 1;
      if (failures >= 2) enterRestMode();
      else if (pending.size) setNotice(t("reconnecting"));
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer || refused) return;
    // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to 30 s.
    var delay = Math.min(30000, 500 * Math.pow(2, Math.min(failures, 6))) * (0.5 + Math.random() / 2);
    reconnectTimer = setTimeout(connect, delay);
  }

  function enterRestMode() {
    if (restMode || refused) return;
    restMode = true;
    setNotice("");
    pending.forEach(transmit);
    pollTimer = setInterval(loadHistory, POLL_MS); // staff replies arrive by polling here
  }

  function leaveRestMode() {
    restMode = false;
    stopPolling();
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  function post(item) {
    if (item.posting) return;
    item.posting = true;
    var body = Object.assign(frame(item), identity);
    fetch(HTTP_BASE + "/widget/messages", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (json) { return { status: response.status, body: json }; });
      })
      .then(function (result) {
        item.posting = false;
        if (result.status === 200) handleEvent(result.body);
        else if (result.status === 403 && result.body.code === "identity_refused") refuse(reason(result.body.code, result.body.error));
        else failed(item.id, reason(result.body.code, result.body.error), result.status >= 500);
      })
      .catch(function () {
        item.posting = false;
        failed(item.id, t("unreachable"), true);
      });
  }

  function start() {
    if (started) return;
    started = true;
    loadHistory().then(connect);
  }

  /* ---------- opening, closing, keyboard ---------- */

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    badge.hidden = true;
    launcher.setAttribute("aria-label", t("open", { title: config.title }));
    start();
    scrollDown();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { event.preventDefault(); close(); }
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; not while an input method is composing (CJK, ...).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });

  function submit() {
    var text = input.value.trim();
    if (!text || refused) return;
    if (text.length > MAX_CHARS) { setNotice(t("tooLong", { max: number(MAX_CHARS) })); return; }
    input.value = "";
    send(text);
    input.focus();
  }

  if (config.greeting) log.appendChild(el("div", { class: "msg bot greeting" })).appendChild(bubble(config.greeting));

  function mount() {
    document.body.appendChild(host);
    // A visitor with a conversation under way gets staff replies (and the unread badge) at once.
    if (recall(ACTIVE_KEY)) start();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
