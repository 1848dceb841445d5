// Direct messages, live: the conversation page appends new messages without a reload, and
// the conversation list keeps itself up to date. Both listen on /ws/inbox, which carries the
// logged-in user's own messages only.
"use strict";

(function () {
  const thread = document.getElementById("thread");
  const list = document.getElementById("conversations");
  const badge = document.getElementById("unread-count");
  Retro.counter(document.getElementById("id_text"), document.getElementById("message-counter"));

  // The header's unread count, shown only when it is not zero.
  function bumpUnread(by) {
    if (!badge) return;
    const count = Math.max(0, Number(badge.textContent || 0) + by);
    badge.textContent = count;
    badge.hidden = count === 0;
  }

  function textElement(tag, className, text) {
    const el = document.createElement(tag);
    el.className = className;
    el.textContent = text; // user text never becomes HTML
    return el;
  }

  // The page was drawn just before the socket first opened. When it opens again after a
  // drop, messages may have been sent meanwhile: draw the page afresh (week 6 fetches only
  // what was missed, from the API).
  let opened = false;
  function reloadAfterADrop() {
    if (opened) window.location.reload();
    opened = true;
  }

  function conversationPage() {
    const me = thread.dataset.me;
    const other = thread.dataset.other;

    function belongs(message) {
      return (message.sender === me && message.recipient === other) ||
        (message.sender === other && message.recipient === me);
    }

    function render(message) {
      const item = document.createElement("li");
      item.className = "message new" + (message.sender === me ? " mine" : "");
      item.dataset.id = message.id;
      const meta = document.createElement("div");
      meta.className = "post-meta";
      meta.append(textElement("span", "author", message.sender), " ",
        Retro.timeElement(message.created));
      item.append(meta, textElement("p", "text", message.text));
      return item;
    }

    Retro.connectLive("/ws/inbox", {
      onMessage: function (message) {
        if (!belongs(message)) {
          if (message.recipient === me) bumpUnread(1); // someone else wrote meanwhile
          return;
        }
        const empty = document.getElementById("thread-empty");
        if (empty) empty.remove();
        Retro.insertById(thread, render(message), true); // oldest at the top
      },
      onOpen: reloadAfterADrop,
      statusEl: document.getElementById("live-status"),
    });
  }

  function inboxPage() {
    const me = list.dataset.me;

    function render(username, message, unread) {
      const item = document.createElement("li");
      item.className = "conversation" + (unread ? " unread" : "");
      item.dataset.id = message.id;
      item.dataset.with = username;
      const link = textElement("a", "with", username);
      link.href = "/messages/" + encodeURIComponent(username);
      const count = textElement("span", "badge unread-count", String(unread));
      count.hidden = !unread;
      const prefix = message.sender === me ? "You: " : "";
      item.append(link, " ", count, " ", Retro.timeElement(message.created),
        textElement("p", "text last", prefix + message.text));
      return item;
    }

    Retro.connectLive("/ws/inbox", {
      onMessage: function (message) {
        const incoming = message.recipient === me;
        const username = incoming ? message.sender : message.recipient;
        const old = Array.from(list.children).find(function (el) {
          return el.dataset.with === username;
        });
        const unread = old ? Number(old.querySelector(".unread-count").textContent) : 0;
        if (old) old.remove();
        const empty = document.getElementById("conversations-empty");
        if (empty) empty.remove();
        const item = render(username, message, unread + (incoming ? 1 : 0));
        Retro.insertById(list, item, false); // newest first
        if (incoming) bumpUnread(1);
      },
      onOpen: reloadAfterADrop,
      statusEl: document.getElementById("live-status"),
    });
  }

  if (thread && thread.dataset.live) conversationPage();
  else if (list && list.dataset.live) inboxPage();
})();
