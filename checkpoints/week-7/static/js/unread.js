// The header's unread count, live on every page of a logged-in user (the messages pages keep
// it up to date themselves, in messages.js).
"use strict";

(function () {
  const badge = document.getElementById("unread-count");
  if (!badge || document.documentElement.dataset.inbox === "live") return;
  const me = badge.dataset.me;

  Retro.connectLive("/ws/inbox", {
    onItem: function (message) {
      if (message.recipient !== me || message.read) return;
      const count = Number(badge.textContent || 0) + 1;
      badge.textContent = count;
      badge.hidden = false;
    },
    fetchAfter: function (id) {
      return Retro.fetchAll("/api/inbox?page_size=200&after=" + id);
    },
    after: Number(badge.dataset.after || 0),
  });
})();
