// RetroSocial from any static host: log in with a token, the feed (read, post, live), and
// direct messages (the conversations, one conversation, send, live). Plain modules, no build.
import { Api, ApiError, serverOrigin } from "./api.js";
import { connectLive, socketUrl } from "./live.js";

const $ = function (id) { return document.getElementById(id); };
const VIEWS = ["login-view", "feed-view", "messages-view", "conversation-view"];
const PAGE = 20; // posts a page of the feed shows

let api = null;
let me = ""; // the logged-in username; "" when logged out
let feedLive = null;
let inboxLive = null;
let feedNext = null; // the link to the next (older) page of the feed
let openWith = ""; // whose conversation is open
const conversations = new Map(); // username → {message, unread}

// --- What the page says -----------------------------------------------------------------

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  $("error").textContent = "";
  $("error").hidden = true;
}

// Said to screen readers (aria-live): what arrived live.
function announce(text) {
  $("announce").textContent = text;
}

function liveState(which, statusEl) {
  return function (state, seconds) {
    document.documentElement.dataset[which] = state;
    if (!statusEl) return;
    const text = state === "reconnecting"
      ? "Connection lost. Reconnecting in " + seconds + " s…"
      : "";
    statusEl.textContent = text;
    statusEl.hidden = !text;
  };
}

// A failed request, said: a 401 means the token is gone (log in again); a 429 also disables
// the button that sent it for as long as Retry-After says.
function failed(error, button) {
  if (!(error instanceof ApiError)) {
    showError(String(error.message || error));
    return;
  }
  if (error.status === 401 && me) {
    ended("You are no longer logged in (your token was revoked): log in again.");
    return;
  }
  showError(error.message);
  if (button && error.retryAfter) {
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, error.retryAfter * 1000);
  }
}

// --- Small pieces of rendering ----------------------------------------------------------

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

function timeElement(iso) {
  const date = new Date(iso);
  const el = document.createElement("time");
  el.dateTime = iso;
  el.title = date.toLocaleString();
  el.textContent = timeAgo(date);
  return el;
}

setInterval(function () {
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    el.textContent = timeAgo(new Date(el.dateTime));
  });
}, 30000);

function textElement(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  el.textContent = text; // user text never becomes HTML
  return el;
}

// Insert `el` so that data-id stays descending (newest first), or ascending; false if an
// element with its id is there already.
function insertById(list, el, ascending) {
  const id = Number(el.dataset.id);
  if (list.querySelector('[data-id="' + id + '"]')) return false;
  const next = Array.from(list.querySelectorAll("[data-id]")).find(function (other) {
    return ascending ? Number(other.dataset.id) > id : Number(other.dataset.id) < id;
  });
  list.insertBefore(el, next || null);
  return true;
}

function highestId(list) {
  return Array.from(list.querySelectorAll("[data-id]")).reduce(function (max, el) {
    return Math.max(max, Number(el.dataset.id));
  }, 0);
}

function counter(textarea, output) {
  const max = Number(textarea.getAttribute("maxlength"));
  function update() {
    const left = max - textarea.value.length;
    output.textContent = left + (left === 1 ? " character left" : " characters left");
    output.classList.toggle("low", left < 20);
  }
  textarea.addEventListener("input", update);
  update();
  return update;
}

// --- Views ------------------------------------------------------------------------------

function show(view) {
  VIEWS.forEach(function (id) { $(id).hidden = id !== view; });
  const heading = $(view).querySelector("h1");
  if (heading) heading.focus();
}

function route() {
  if (!me) {
    show("login-view");
    return;
  }
  const hash = decodeURIComponent(window.location.hash.slice(1));
  if (hash.startsWith("messages/") && hash.length > "messages/".length) {
    openConversation(hash.slice("messages/".length));
  } else if (hash === "messages") {
    openWith = "";
    show("messages-view");
  } else {
    openWith = "";
    show("feed-view");
  }
  document.querySelectorAll("#nav a").forEach(function (link) {
    const current = link.getAttribute("href") === "#" + (hash.split("/")[0] || "feed");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
}

// --- The feed ---------------------------------------------------------------------------

function renderPost(post) {
  const item = document.createElement("li");
  item.className = "post" + (post.author === me ? " mine" : "");
  item.dataset.id = post.id;
  const meta = document.createElement("div");
  meta.className = "post-meta";
  meta.append(textElement("span", "author", post.author), " ", timeElement(post.created));
  item.append(meta, textElement("p", "text", post.text));
  return item;
}

function addPosts(posts, live) {
  const feed = $("feed");
  posts.forEach(function (post) {
    const item = renderPost(post);
    if (live) item.classList.add("new");
    insertById(feed, item, false);
  });
  $("feed-empty").hidden = feed.children.length > 0;
}

async function loadFeed(link) {
  const page = await api.get(link);
  addPosts(page.results, false);
  feedNext = page.next;
  $("more").hidden = !feedNext;
}

function followFeed() {
  feedLive = connectLive(socketUrl(api.server, "/ws/feed"), {
    token: api.token,
    after: highestId($("feed")),
    onItem: function (post) {
      addPosts([post], true);
      if (post.author !== me) announce("New post by " + post.author + ": " + post.text);
    },
    fetchAfter: function (id) { return api.all("/api/posts?page_size=200&after=" + id); },
    onState: liveState("feed", $("feed-status")),
    onEnded: function () { ended("You were logged out: your token was revoked."); },
  });
}

// --- Messages ---------------------------------------------------------------------------

function updateUnread() {
  let total = 0;
  conversations.forEach(function (entry) { total += entry.unread; });
  $("unread-count").textContent = total ? String(total) : "";
  $("unread-count").hidden = total === 0;
  $("nav-messages").setAttribute("aria-label", "Messages" + (total ? ", " + total + " unread" : ""));
}

function renderConversation(username, entry) {
  const item = document.createElement("li");
  item.className = "conversation" + (entry.unread ? " unread" : "");
  item.dataset.id = entry.message.id;
  item.dataset.with = username;
  const link = textElement("a", "with", username);
  link.href = "#messages/" + encodeURIComponent(username);
  const badge = textElement("span", "badge", entry.unread + " unread");
  badge.hidden = !entry.unread;
  const prefix = entry.message.sender === me ? "You: " : "";
  item.append(link, " ", badge, " ", timeElement(entry.message.created),
    textElement("p", "text last", prefix + entry.message.text));
  return item;
}

function putConversation(username, entry) {
  conversations.set(username, entry);
  const list = $("conversations");
  const old = list.querySelector('[data-with="' + CSS.escape(username) + '"]');
  if (old) old.remove();
  insertById(list, renderConversation(username, entry), false);
  $("conversations-empty").hidden = list.children.length > 0;
  updateUnread();
}

async function loadConversations() {
  const items = await api.all("/api/messages?page_size=200");
  items.forEach(function (item) {
    putConversation(item.username, { message: item.last_message, unread: item.unread });
  });
  $("conversations-empty").hidden = items.length > 0;
}

function renderMessage(message) {
  const item = document.createElement("li");
  item.className = "message" + (message.sender === me ? " mine" : "");
  item.dataset.id = message.id;
  const meta = document.createElement("div");
  meta.className = "post-meta";
  meta.append(textElement("span", "author", message.sender), " ", timeElement(message.created));
  item.append(meta, textElement("p", "text", message.text));
  return item;
}

function addToThread(message, live) {
  const item = renderMessage(message);
  if (live) item.classList.add("new");
  insertById($("thread"), item, true); // oldest at the top
  $("thread-empty").hidden = true;
}

async function openConversation(username) {
  openWith = username;
  $("conversation-title").textContent = "Conversation with " + username;
  $("thread").replaceChildren();
  $("thread-empty").hidden = true;
  show("conversation-view");
  try {
    // Reading it marks their messages to me as read.
    const page = await api.get("/api/messages/" + encodeURIComponent(username) + "?page_size=50");
    if (openWith !== username) return; // another view was chosen meanwhile
    page.results.slice().reverse().forEach(function (message) { addToThread(message, false); });
    $("thread-empty").hidden = page.results.length > 0;
    const entry = conversations.get(username);
    if (entry) putConversation(username, { message: entry.message, unread: 0 });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && openWith === username) {
      history.replaceState(null, "", "#messages"); // back to the list, the error kept
      route();
      showError("There is no user named " + username + ".");
      return;
    }
    failed(error);
  }
}

function followInbox(after) {
  inboxLive = connectLive(socketUrl(api.server, "/ws/inbox"), {
    token: api.token,
    after,
    onItem: function (message) {
      const other = message.sender === me ? message.recipient : message.sender;
      const incoming = message.recipient === me && !message.read;
      const entry = conversations.get(other);
      let unread = entry ? entry.unread : 0;
      if (openWith === other) {
        addToThread(message, true);
        // On screen: mark it read, as opening the conversation does.
        if (incoming) {
          api.get("/api/messages/" + encodeURIComponent(other) + "?page_size=1&after=" +
            message.id).catch(function () {});
        }
      } else if (incoming) {
        unread += 1;
      }
      if (!entry || message.id >= entry.message.id) {
        putConversation(other, { message, unread });
      }
      if (incoming) announce("New message from " + other + ": " + message.text);
    },
    fetchAfter: function (id) { return api.all("/api/inbox?page_size=200&after=" + id); },
    onState: liveState("inbox", null),
    onEnded: function () { ended("You were logged out: your token was revoked."); },
  });
}

// --- Logging in and out -----------------------------------------------------------------

async function start() {
  const profile = await api.get("/api/me");
  me = profile.username;
  $("me").textContent = me;
  $("nav").hidden = false;
  await loadFeed("/api/posts?page_size=" + PAGE);
  await loadConversations();
  const newest = await api.get("/api/inbox?page_size=1");
  followFeed();
  followInbox(newest.results.length ? newest.results[0].id : 0);
  document.documentElement.dataset.ready = "yes";
  route();
}

function stop() {
  if (feedLive) feedLive.close();
  if (inboxLive) inboxLive.close();
  feedLive = inboxLive = null;
  me = "";
  openWith = "";
  feedNext = null;
  conversations.clear();
  ["feed", "conversations", "thread"].forEach(function (id) { $(id).replaceChildren(); });
  $("nav").hidden = true;
  $("me").textContent = "";
  updateUnread();
  delete document.documentElement.dataset.ready;
}

// The token ended elsewhere (revoked, password changed): back to the login form.
function ended(message) {
  api.setToken("");
  stop();
  show("login-view");
  showError(message);
}

async function logIn(event) {
  event.preventDefault();
  clearError();
  const button = event.submitter || $("login-form").querySelector("button");
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    showError("Enter your username and password.");
    (username ? $("password") : $("username")).focus();
    return;
  }
  button.disabled = true;
  let limited = false;
  try {
    await api.logIn(username, password);
    $("password").value = "";
    await start();
  } catch (error) {
    api.setToken("");
    stop();
    limited = error instanceof ApiError && error.retryAfter > 0;
    failed(error, button); // a 429 keeps the button disabled for Retry-After seconds
    $("password").focus();
  } finally {
    if (!limited) button.disabled = false;
  }
}

async function logOut() {
  clearError();
  try {
    await api.logOut();
  } catch (error) {
    failed(error);
  }
  stop();
  window.location.hash = "";
  show("login-view");
}

// --- Writing ----------------------------------------------------------------------------

function sender(form, textarea, refresh, send) {
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    clearError();
    const text = textarea.value;
    if (!text.trim()) {
      showError("Write something first.");
      textarea.focus();
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    let limited = false;
    try {
      await send(text);
      textarea.value = "";
      refresh();
    } catch (error) {
      limited = error instanceof ApiError && error.retryAfter > 0;
      failed(error, button);
    } finally {
      if (!limited) button.disabled = false;
      textarea.focus();
    }
  });
  // Ctrl+Enter (or ⌘+Enter) sends, as well as the button.
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
}

// --- Start ------------------------------------------------------------------------------

async function main() {
  let server;
  try {
    server = serverOrigin();
  } catch (error) {
    $("server").textContent = "(none)";
    showError(error.message + " Give it as ?api=https://your-site.example or in config.js.");
    return;
  }
  api = new Api(server);
  $("server").textContent = server;
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  $("more").addEventListener("click", async function () {
    const button = $("more");
    button.disabled = true;
    try {
      await loadFeed(feedNext);
    } catch (error) {
      failed(error, button);
    } finally {
      button.disabled = false;
    }
  });
  $("open-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const username = $("open-username").value.trim();
    if (!username) {
      showError("Enter a username.");
      $("open-username").focus();
      return;
    }
    clearError();
    $("open-username").value = "";
    window.location.hash = "#messages/" + encodeURIComponent(username);
  });
  sender($("post-form"), $("post-text"), counter($("post-text"), $("post-counter")),
    async function (text) {
      feedLive.handle(await api.post("/api/posts", { text }));
    });
  sender($("message-form"), $("message-text"),
    counter($("message-text"), $("message-counter")),
    async function (text) {
      const message = await api.post("/api/messages/" + encodeURIComponent(openWith), { text });
      inboxLive.handle(message);
    });
  window.addEventListener("hashchange", function () {
    clearError();
    route();
  });

  if (api.token) {
    try {
      await start();
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) api.setToken("");
      stop();
      failed(error);
    }
  }
  show("login-view");
}

main();
