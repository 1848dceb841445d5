// Shared helpers for the pages: a live websocket that reconnects and catches up,
// safe rendering of user text, and relative timestamps.
"use strict";

window.Retro = (function () {
  // ws:// on http pages, wss:// on https pages (browsers refuse ws:// from https).
  function socketUrl(path) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + path;
  }

  // Follow `path` by the live protocol (retrosocial/live.py): items are JSON objects
  // with an id; frames with a "type" are for the client ({"type": "resync"}: fetch what you
  // may have missed). Each item goes to onItem(item) once, whether the socket or a catch-up
  // brought it. The socket says what the page has (?after=ID): the server sends what came
  // after it, then {"type": "live"}, or a resync. fetchAfter(id) returns (a promise of) the
  // items after that id, oldest first; it runs on every resync frame, when an item's id jumps
  // (a gap), and if the server says neither within 3 s of a (re)connect. `after` is the
  // highest id the page shows already.
  function connectLive(path, { onItem, fetchAfter, after, statusEl }) {
    const seen = new Set();
    let confirmed = after || 0; // every item up to this id has been handled
    let top = confirmed; // the highest id handled
    let attempt = 0;
    let running = false;
    let again = false;
    let unanswered = null; // catches up if the server answers ?after= with neither frame

    function show(text) {
      if (!statusEl) return;
      statusEl.textContent = text;
      statusEl.hidden = !text;
    }

    function handle(item) {
      if (!item || typeof item.id !== "number" || seen.has(item.id)) return;
      seen.add(item.id);
      top = Math.max(top, item.id);
      onItem(item);
    }

    // One catch-up at a time; a request for another while one runs starts it afterwards.
    async function catchUp() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      const from = confirmed;
      const before = top;
      try {
        const items = await fetchAfter(from);
        items.forEach(handle);
        confirmed = Math.max(from, before, ...items.map(function (item) { return item.id; }));
      } catch (error) {
        setTimeout(catchUp, 2000); // the server is busy or restarting: try again soon
      } finally {
        running = false;
        if (again) {
          again = false;
          catchUp();
        }
      }
    }

    function open() {
      const socket = new WebSocket(socketUrl(path) + "?after=" + confirmed);
      socket.addEventListener("open", function () {
        attempt = 0;
        document.documentElement.dataset.socket = "open";
        show("");
        unanswered = setTimeout(catchUp, 3000);
      });
      socket.addEventListener("message", function (event) {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return; // not a frame of this protocol
        }
        if (data.type === "resync" || data.type === "live") clearTimeout(unanswered);
        if (data.type === "resync") {
          catchUp();
          return;
        }
        if (data.type === "live") {
          // Everything after the id the socket came with was sent: the page is current.
          if (!running) confirmed = Math.max(confirmed, top);
          return;
        }
        if (data.type || typeof data.id !== "number") return; // a control frame for later
        const gap = data.id > top + 1;
        if (!gap && confirmed === top) confirmed = data.id;
        handle(data);
        if (gap) catchUp();
      });
      socket.addEventListener("close", function (event) {
        clearTimeout(unanswered);
        document.documentElement.dataset.socket = "closed";
        if (event.code === 4401) {
          show("You were logged out. Reload the page to follow it again.");
          return; // these credentials ended: never come back with them
        }
        // Exponential backoff with full jitter, so a thousand pages cut at once come back
        // spread out instead of all together.
        const ceiling = Math.min(30000, 1000 * 2 ** attempt);
        attempt += 1;
        const wait = Math.floor(Math.random() * ceiling);
        show("Connection lost. Reconnecting in " + Math.ceil(wait / 1000) + " s…");
        setTimeout(open, wait);
      });
    }
    open();
  }

  // Every item of an API list, following `next` page after page.
  async function fetchAll(url) {
    const items = [];
    while (url) {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(url + " answered " + response.status);
      const body = await response.json();
      items.push(...body.results);
      url = body.next;
    }
    return items;
  }

  function timeAgo(date) {
    const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
    if (seconds < 60) return "just now";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    const hours = Math.round(minutes / 60);
    if (hours < 24) return hours + " h ago";
    const days = Math.round(hours / 24);
    return days + (days === 1 ? " day ago" : " days ago");
  }

  // A <time> element for an ISO timestamp: "3 min ago", the exact time on hover.
  function timeElement(iso) {
    const date = new Date(iso);
    const el = document.createElement("time");
    el.dateTime = iso;
    el.title = date.toLocaleString();
    el.textContent = timeAgo(date);
    return el;
  }

  function refreshTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      el.textContent = timeAgo(new Date(el.dateTime));
    });
  }
  setInterval(refreshTimes, 30000);
  refreshTimes(); // scripts are deferred: the page is parsed by now

  // Insert `item` into `list` so that data-id stays in descending order (newest first),
  // or ascending with ascending=true. Returns false if an item with that id is there already.
  function insertById(list, item, ascending) {
    const id = Number(item.dataset.id);
    if (list.querySelector('[data-id="' + id + '"]')) return false;
    const after = Array.from(list.querySelectorAll("[data-id]")).find(function (el) {
      return ascending ? Number(el.dataset.id) > id : Number(el.dataset.id) < id;
    });
    list.insertBefore(item, after || null);
    return true;
  }

  function highestId(list) {
    return Array.from(list.querySelectorAll("[data-id]")).reduce(function (max, el) {
      return Math.max(max, Number(el.dataset.id));
    }, 0);
  }

  // A live character counter under a textarea with a maxlength.
  function counter(textarea, output) {
    if (!textarea || !output) return;
    const max = Number(textarea.getAttribute("maxlength"));
    function update() {
      const left = max - textarea.value.length;
      output.textContent = left + (left === 1 ? " character left" : " characters left");
      output.classList.toggle("low", left < 20);
    }
    textarea.addEventListener("input", update);
    update();
  }

  return { connectLive, fetchAll, timeElement, insertById, highestId, counter };
})();
