// Where the RetroSocial site (its API and websockets) is: its URL, e.g. "https://app.example".
// A `?api=URL` in this page's address takes precedence, so one copy of this folder works
// against any server. That server must list this page's origin in CORS_ALLOWED_ORIGINS.
export const API_URL = "http://127.0.0.1:8000";
