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

  // On every (re)connect: ask for every post newer than the newest one shown.
  async function catchUp() {
    const response = await fetch(feed.dataset.live + "?after=" + Retro.highestId(feed));
    if (!response.ok) return;
    const body = await response.json();
    if (body.more) {
      window.location.reload(); // missed too many: start afresh
      return;
    }
    body.posts.forEach(add);
  }

  Retro.connectLive("/ws/feed", {
    onMessage: add,
    onOpen: catchUp,
    statusEl: document.getElementById("live-status"),
  });
})();
