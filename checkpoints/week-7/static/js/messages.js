// Direct messages, live: the conversation page appends new messages without a reload, and
// the conversation list keeps itself up to date. Both listen on /ws/inbox (the user's own
// messages only) and catch up through /api/inbox?after=ID (see Retro.connectLive).
"use strict";

(function () {
  const thread = document.getElementById("thread");
  const list = document.getElementById("conversations");
  const badge = document.getElementById("unread-count");
  // The newest message of this user's when the page was made: the live part starts after it.
  const latest = badge ? Number(badge.dataset.after || 0) : 0;
  Retro.counter(document.getElementById("id_text"), document.getElementById("message-counter"));

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  }

  // The header's unread count, shown only when it is not zero.
  function bumpUnread(by) {
    if (!badge) return;
    const count = Math.max(0, Number(badge.textContent || 0) + by);
    badge.textContent = count;
    badge.hidden = count === 0;
  }

  // Catching up: every message this user sent or received after `id` (marks nothing read).
  function inboxAfter(id) {
    return Retro.fetchAll("/api/inbox?page_size=200&after=" + id);
  }

  function textElement(tag, className, text) {
    const el = document.createElement(tag);
    el.className = className;
    el.textContent = text; // user text never becomes HTML
    return el;
  }

  function conversationPage() {
    const me = thread.dataset.me;
    const other = thread.dataset.other;
    const api = thread.dataset.live; // /api/messages/<other>: reading it marks it read

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

    function add(message) {
      const empty = document.getElementById("thread-empty");
      if (empty) empty.remove();
      Retro.insertById(thread, render(message), true); // oldest at the top
    }

    Retro.connectLive("/ws/inbox", {
      onItem: function (message) {
        if (!belongs(message)) {
          if (message.recipient === me && !message.read) bumpUnread(1); // someone else wrote
          return;
        }
        add(message);
        // It is on screen: mark it read, as opening the conversation does.
        if (message.sender === other && !message.read) {
          getJSON(api + "?page_size=1&after=" + message.id);
        }
      },
      fetchAfter: inboxAfter,
      after: latest,
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

    function put(username, message, unread) {
      const empty = document.getElementById("conversations-empty");
      if (empty) empty.remove();
      const old = Array.from(list.children).find(function (el) {
        return el.dataset.with === username;
      });
      if (old) old.remove();
      Retro.insertById(list, render(username, message, unread), false); // newest first
    }

    Retro.connectLive("/ws/inbox", {
      onItem: function (message) {
        const incoming = message.recipient === me && !message.read;
        const username = message.recipient === me ? message.sender : message.recipient;
        const old = Array.from(list.children).find(function (el) {
          return el.dataset.with === username;
        });
        const unread = old ? Number(old.querySelector(".unread-count").textContent) : 0;
        put(username, message, unread + (incoming ? 1 : 0));
        if (incoming) bumpUnread(1);
      },
      fetchAfter: inboxAfter,
      after: latest,
      statusEl: document.getElementById("live-status"),
    });
  }

  if (thread && thread.dataset.live) conversationPage();
  else if (list && list.dataset.live) inboxPage();
  else return;
  document.documentElement.dataset.inbox = "live"; // the header's count is kept here
})();
