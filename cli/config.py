"""
Where `retro` keeps its settings: the user's config folder (platformdirs), or RETRO_CONFIG_DIR.

- `servers.json`: the named servers (`retro server add/use/list/remove`) and which one is in use.
- `tokens.json`: one API token per server URL, with the username it belongs to. Created with
  mode 0600 from the start (never world-readable, not even for a moment) and replaced
  atomically, so only its owner can read it.

Which server a command talks to: `--server URL|NAME` (or RETRO_SERVER), else the server chosen
with `retro server use`, else http://127.0.0.1:8000 (what `make run` serves).

The deploy commands call `add_server(name, url)` to remember a freshly deployed site.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from cli.errors import CLIError, ExitCode

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_NAME = "local"
SERVERS_FILE = "servers.json"
TOKENS_FILE = "tokens.json"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


def config_dir() -> Path:
    """The folder of retro's files: RETRO_CONFIG_DIR, or the platform's user config folder."""
    override = os.environ.get("RETRO_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path("retro", appauthor=False)


# --- reading and writing ------------------------------------------------------------------


def _read(name: str) -> dict:
    path = config_dir() / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CLIError(f"cannot read {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise CLIError(
            f"{path} is not valid JSON", hint="fix it or delete it and log in again"
        ) from None
    if not isinstance(data, dict):
        raise CLIError(f"{path} does not hold a JSON object", hint="delete it and log in again")
    return data


def _write(name: str, data: dict) -> Path:
    """Write `data` as JSON, owner-only (0600) from the first byte; replace the file atomically."""
    folder = config_dir()
    path = folder / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # in case a stale temporary file had other permissions
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=2, sort_keys=True)
                file.write("\n")
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, path)
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror}") from None
    return path


# --- servers ------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """`url` without a trailing slash, or CLIError(USAGE) when it is not an http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CLIError(
            f"not a server URL: {url!r}",
            ExitCode.USAGE,
            hint="give one like http://127.0.0.1:8000 or https://myapp.herokuapp.com",
        )
    if parts.query or parts.fragment:
        raise CLIError(f"a server URL has no query or fragment: {url!r}", ExitCode.USAGE)
    return url.rstrip("/")


def _servers_data() -> dict:
    data = _read(SERVERS_FILE)
    servers = data.get("servers")
    if not isinstance(servers, dict):
        servers = {DEFAULT_NAME: DEFAULT_SERVER}
    data["servers"] = servers
    data.setdefault("current", DEFAULT_NAME)
    return data


def servers() -> dict[str, str]:
    """The named servers, name → URL (`local` → http://127.0.0.1:8000 until removed)."""
    return dict(_servers_data()["servers"])


def current_name() -> str | None:
    """The name chosen with `retro server use`, if it still exists."""
    data = _servers_data()
    name = data.get("current")
    return name if name in data["servers"] else None


def add_server(name: str, url: str, *, use: bool = False) -> str:
    """Remember server `name` at `url` (replacing an earlier URL of that name); with `use`, make
    it the server commands talk to. Returns the normalized URL. Raises CLIError(USAGE) for a bad
    name or URL."""
    if not NAME_PATTERN.match(name):
        raise CLIError(
            f"not a server name: {name!r}",
            ExitCode.USAGE,
            hint="letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    url = normalize_url(url)
    data = _servers_data()
    data["servers"][name] = url
    if use:
        data["current"] = name
    _write(SERVERS_FILE, data)
    return url


def _unknown(name: str) -> CLIError:
    return CLIError(f"no server named {name!r}", ExitCode.NOT_FOUND, hint="see retro server list")


def use_server(name: str) -> str:
    """Make `name` the server commands talk to; returns its URL."""
    data = _servers_data()
    if name not in data["servers"]:
        raise _unknown(name)
    data["current"] = name
    _write(SERVERS_FILE, data)
    return data["servers"][name]


def remove_server(name: str) -> str:
    """Forget server `name` (its token too); returns the URL it had."""
    data = _servers_data()
    if name not in data["servers"]:
        raise _unknown(name)
    url = data["servers"].pop(name)
    if data.get("current") == name:
        data["current"] = None
    _write(SERVERS_FILE, data)
    if url not in data["servers"].values():
        forget_token(url)
    return url


def resolve_server(option: str | None) -> str:
    """The URL to talk to: `option` (from --server or RETRO_SERVER; a URL or a saved name), else
    the server in use, else the default."""
    data = _servers_data()
    if option:
        option = option.strip()
        if option in data["servers"]:
            return data["servers"][option]
        if "://" not in option:
            raise CLIError(
                f"--server {option!r} is neither a URL nor a saved server name",
                ExitCode.USAGE,
                hint="see retro server list",
            )
        return normalize_url(option)
    name = data.get("current")
    if name in data["servers"]:
        return data["servers"][name]
    return DEFAULT_SERVER


# --- tokens -------------------------------------------------------------------------------


def tokens_path() -> Path:
    return config_dir() / TOKENS_FILE


def _tokens() -> dict:
    data = _read(TOKENS_FILE)
    return {url: entry for url, entry in data.items() if isinstance(entry, dict)}


def credentials(url: str) -> tuple[str, str] | None:
    """(username, token) saved for the server at `url`, or None when not logged in there."""
    entry = _tokens().get(url)
    if entry and isinstance(entry.get("token"), str) and entry["token"]:
        return str(entry.get("username", "")), entry["token"]
    return None


def save_token(url: str, username: str, token: str) -> Path:
    data = _tokens()
    data[url] = {"username": username, "token": token}
    return _write(TOKENS_FILE, data)


def forget_token(url: str) -> bool:
    """Remove the token saved for `url`; True if there was one."""
    data = _tokens()
    if url not in data:
        return False
    del data[url]
    _write(TOKENS_FILE, data)
    return True
