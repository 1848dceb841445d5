// Shared helpers for the live pages: a websocket that reconnects with backoff,
// safe rendering of user text, and relative timestamps.
"use strict";

window.Retro = (function () {
  // ws:// on http pages, wss:// on https pages (browsers refuse ws:// from https).
  function socketUrl(path) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + path;
  }

  // Open `path` and keep it open. onMessage(data) gets each JSON message; onOpen() runs
  // every time the socket opens, the first time included, so the page can fetch what was
  // sent while it was not connected (between page load and connect, or while reconnecting).
  function connectLive(path, { onMessage, onOpen, statusEl }) {
    let delay = 1000;
    function show(text) {
      if (!statusEl) return;
      statusEl.textContent = text;
      statusEl.hidden = !text;
    }
    function open() {
      const socket = new WebSocket(socketUrl(path));
      socket.addEventListener("open", function () {
        delay = 1000;
        document.documentElement.dataset.socket = "open";
        show("");
        if (onOpen) onOpen();
      });
      socket.addEventListener("message", function (event) {
        onMessage(JSON.parse(event.data));
      });
      socket.addEventListener("close", function () {
        document.documentElement.dataset.socket = "closed";
        const wait = delay + Math.floor(Math.random() * 500);
        show("Connection lost. Reconnecting in " + Math.round(wait / 1000) + " s…");
        setTimeout(open, wait);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
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

  return { connectLive, timeElement, insertById, highestId, counter };
})();
