// The RetroSocial API from another origin: which server, the token (kept in localStorage, one
// per server), JSON requests with the token, and every failure as an ApiError with a sentence
// a person can act on. Cookies are never sent: the token is the only credential.
import { API_URL } from "./config.js";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "", retryAfter = 0 } = {}) {
    super(message);
    this.status = status; // 0: no answer at all
    this.code = code; // the API's error code ("wrong_credentials", "throttled", …)
    this.retryAfter = retryAfter; // seconds, from Retry-After (429 and 503)
  }
}

// The server's origin: `?api=` in the page's address, else config.js. Only its origin counts
// (the API is at /api/ and the sockets at /ws/ of it).
export function serverOrigin() {
  const given = new URLSearchParams(window.location.search).get("api") || API_URL;
  let url;
  try {
    url = new URL(given);
  } catch (error) {
    throw new Error("The server address " + JSON.stringify(given) + " is not a URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("The server address must start with http:// or https://, not " +
      JSON.stringify(given) + ".");
  }
  return url.origin;
}

// A fresh Idempotency-Key: a retried request is then saved once. getRandomValues works on
// plain-http pages too, where crypto.randomUUID does not.
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
}

function seconds(response) {
  const value = Number(response.headers.get("Retry-After"));
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

function errorFor(response, body, server) {
  const status = response.status;
  const code = (body && body.code) || "";
  const retryAfter = seconds(response);
  const detail = (body && body.detail) || "";
  let message;
  if (code === "wrong_credentials") {
    message = "Wrong username or password.";
  } else if (status === 401) {
    message = "You are no longer logged in: log in again.";
  } else if (status === 429) {
    message = "Too many requests. Try again in " + (retryAfter || "a few") + " seconds.";
  } else if (status === 503) {
    message = "The server is unavailable for now. Try again in " + (retryAfter || "a few") +
      " seconds.";
  } else if (status === 404 && code === "not_found") {
    message = detail || "Not found.";
  } else if (status >= 500) {
    message = "The server at " + server + " failed (" + status + "). Try again later.";
  } else {
    message = detail || "The server answered " + status + ".";
  }
  return new ApiError(message, { status, code, retryAfter });
}

export class Api {
  constructor(server) {
    this.server = server;
    this.key = "retrosocial.token " + server; // a token is only ever sent to its own server
    this.token = window.localStorage.getItem(this.key) || "";
  }

  setToken(token) {
    this.token = token || "";
    if (this.token) window.localStorage.setItem(this.key, this.token);
    else window.localStorage.removeItem(this.key);
  }

  // `path` on this server; the absolute `next` links of a list are taken to this server too.
  url(path) {
    if (/^https?:/.test(path)) {
      const link = new URL(path);
      return this.server + link.pathname + link.search;
    }
    return this.server + path;
  }

  async request(method, path, { body, idempotent = false } = {}) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = "Token " + this.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotent) headers["Idempotency-Key"] = idempotencyKey();
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        mode: "cors",
        credentials: "omit",
      });
    } catch (error) {
      // No answer the page may read: the server is down or unreachable, or its answer was
      // blocked because it does not allow this page's origin (CORS). A page cannot tell which.
      throw new ApiError(
        "Cannot reach the server at " + this.server + ". It is down or unreachable, or it " +
        "does not allow pages from " + window.location.origin + " (its CORS_ALLOWED_ORIGINS).",
        { code: "unreachable" },
      );
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) throw errorFor(response, data, this.server);
    return data;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, { body, idempotent: true });
  }

  // Every item of a list, following `next` page after page.
  async all(path) {
    const items = [];
    let next = path;
    while (next) {
      const page = await this.get(next);
      items.push(...page.results);
      next = page.next;
    }
    return items;
  }

  async logIn(username, password) {
    const answer = await this.request("POST", "/api/auth/token", {
      body: { username, password },
    });
    this.setToken(answer.token);
  }

  // Revoke the token on the server (its sockets close with 4401), and forget it here in any
  // case: a server that cannot be reached still must not leave the page logged in.
  async logOut() {
    try {
      if (this.token) await this.request("DELETE", "/api/auth/token");
    } finally {
      this.setToken("");
    }
  }
}
