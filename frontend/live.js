// The live protocol (the README's "Live delivery") from another origin: the token goes as the
// subprotocols "retrosocial.token" and the key, since a page cannot set headers on a
// websocket. Items are JSON objects with an id; frames with a "type" are for the client
// ({"type": "resync"}: fetch what you may have missed). Each item reaches onItem once,
// whether the socket or a catch-up brought it. The socket says what the page has (?after=ID):
// the server sends what came after, then {"type": "live"}, or a resync. The page catches up
// through the API on every resync frame, when an id jumps (a gap), and if the server says
// neither within 3 s of a (re)connect; it reconnects with exponential backoff and full
// jitter; close code 4401 (the token was revoked) ends it.
export const TOKEN_PROTOCOL = "retrosocial.token";
const CREDENTIALS_ENDED = 4401;

// ws:// for an http server, wss:// for an https one.
export function socketUrl(server, path) {
  const url = new URL(path, server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

// Follow `url`. fetchAfter(id) returns (a promise of) the items after that id, oldest first.
// `after` is the highest id the page shows already. onState(state, seconds) hears "open",
// "reconnecting" (in that many seconds) and "ended". Returns {handle(item), close()}:
// handle() shows an item the page got otherwise (its own post) through the same once-only door.
export function connectLive(url, { token, after, onItem, fetchAfter, onState, onEnded }) {
  const seen = new Set();
  let confirmed = after || 0; // every item up to this id has been handled
  let top = confirmed; // the highest id handled
  let attempt = 0;
  let running = false;
  let again = false;
  let stopped = false;
  let socket = null;
  let timer = null;
  let unanswered = null; // catches up if the server answers ?after= with neither frame

  function handle(item) {
    if (!item || typeof item.id !== "number" || seen.has(item.id)) return;
    seen.add(item.id);
    top = Math.max(top, item.id);
    onItem(item);
  }

  // One catch-up at a time; a request for another while one runs starts it afterwards.
  async function catchUp() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    const from = confirmed;
    const before = top;
    try {
      const items = await fetchAfter(from);
      if (stopped) return;
      items.forEach(handle);
      confirmed = Math.max(from, before, ...items.map(function (item) { return item.id; }));
    } catch (error) {
      timer = setTimeout(catchUp, 2000); // the server is busy or restarting: try again soon
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        catchUp();
      }
    }
  }

  function open() {
    if (stopped) return;
    const comingBack = new URL(url);
    comingBack.searchParams.set("after", confirmed);
    socket = new WebSocket(comingBack.href, [TOKEN_PROTOCOL, token]);
    socket.addEventListener("open", function () {
      attempt = 0;
      onState("open", 0);
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
      if (stopped) return;
      if (event.code === CREDENTIALS_ENDED) {
        stopped = true;
        onState("ended", 0);
        onEnded();
        return; // the token was revoked: never come back with it
      }
      // 4000 (catch up and reconnect), a dropped connection or a refused one: come back
      // after a random wait below a ceiling that doubles up to 30 s, so that many pages cut
      // at once return spread out.
      const ceiling = Math.min(30000, 1000 * 2 ** attempt);
      attempt += 1;
      const wait = Math.floor(Math.random() * ceiling);
      onState("reconnecting", Math.ceil(wait / 1000));
      timer = setTimeout(open, wait);
    });
  }

  open();
  return {
    handle,
    close() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(unanswered);
      if (socket) socket.close(1000);
    },
  };
}
