// The home page's live feed: new posts appear at the top without a reload.
"use strict";

(function () {
  const feed = document.getElementById("feed");
  Retro.counter(document.getElementById("id_text"), document.getElementById("post-counter"));
  if (!feed || !feed.dataset.live) return; // only the first page is live

  const me = feed.dataset.me;

  // Build the element with textContent only: user text never becomes HTML.
  function render(post) {
    const item = document.createElement("li");
    item.className = "post new" + (me && post.author === me ? " mine" : "");
    item.dataset.id = post.id;
    const meta = document.createElement("div");
    meta.className = "post-meta";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = post.author;
    meta.append(author, " ", Retro.timeElement(post.created));
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = post.text;
    item.append(meta, text);
    return item;
  }

  function add(post) {
    const empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    Retro.insertById(feed, render(post), false);
  }

  Retro.connectLive("/ws/feed", {
    onItem: add,
    fetchAfter: function (id) {
      return Retro.fetchAll("/api/posts?page_size=200&after=" + id);
    },
    after: Retro.highestId(feed),
    statusEl: document.getElementById("live-status"),
  });
})();
