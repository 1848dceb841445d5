"""Named servers and the token file: `retro server …` and cli/config.py, no site needed."""

from __future__ import annotations

import json
import os
import stat

import pytest

from cli import config
from cli.errors import CLIError, ExitCode
from tests.live import free_port


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("RETRO_CONFIG_DIR", str(folder))
    return folder


class TestServerCommands:
    def test_add_use_list_remove(self, retro_for):
        retro = retro_for(None)
        listed = retro.ok("server", "list", "--json").json()
        assert listed == [
            {"name": "local", "url": "http://127.0.0.1:8000", "in_use": True, "user": None}
        ]

        added = retro.ok("server", "add", "heroku", "https://myapp.herokuapp.com/")
        assert "heroku = https://myapp.herokuapp.com" in added.stdout
        in_use = {s["name"]: s["in_use"] for s in retro.ok("server", "list", "--json").json()}
        assert in_use == {"heroku": False, "local": True}

        retro.ok("server", "use", "heroku")
        servers = retro.ok("server", "list", "--json").json()
        assert [s["name"] for s in servers if s["in_use"]] == ["heroku"]
        table = retro.ok("server", "list").stdout
        assert "https://myapp.herokuapp.com" in table and "*" in table

        retro.ok("server", "remove", "heroku")
        assert [s["name"] for s in retro.ok("server", "list", "--json").json()] == ["local"]

    def test_the_server_in_use_is_the_one_commands_talk_to(self, retro_for):
        retro = retro_for(None)
        port = free_port()  # nothing listens there
        retro.ok("server", "add", "nowhere", f"http://127.0.0.1:{port}", "--use")
        run = retro("feed")
        assert run.returncode == ExitCode.UNREACHABLE
        assert f"http://127.0.0.1:{port}" in run.stderr

    def test_server_option_takes_a_saved_name(self, retro_for):
        retro = retro_for(None)
        port = free_port()
        retro.ok("server", "add", "other", f"http://127.0.0.1:{port}")
        run = retro("--server", "other", "feed")
        assert run.returncode == ExitCode.UNREACHABLE
        assert f"http://127.0.0.1:{port}" in run.stderr

    def test_unknown_name_is_not_found(self, retro_for):
        retro = retro_for(None)
        for args in (["server", "use", "nope"], ["server", "remove", "nope"]):
            run = retro(*args)
            assert run.returncode == ExitCode.NOT_FOUND, str(run)
            assert run.stderr == "retro: error: no server named 'nope' (see retro server list)\n"

    def test_bad_url_or_name_is_a_usage_error(self, retro_for):
        retro = retro_for(None)
        run = retro("server", "add", "x", "ftp://example.com")
        assert run.returncode == ExitCode.USAGE
        assert "not a server URL: 'ftp://example.com'" in run.stderr
        run = retro("server", "add", "-bad name", "http://example.com")
        assert run.returncode == ExitCode.USAGE
        run = retro("--server", "neither-url-nor-name", "feed")
        assert run.returncode == ExitCode.USAGE
        assert "neither a URL nor a saved server name" in run.stderr


class TestConfigFiles:
    def test_folder_comes_from_retro_config_dir(self, config_dir):
        assert config.config_dir() == config_dir

    def test_default_folder_is_the_users_config_folder(self, monkeypatch, tmp_path):
        monkeypatch.delenv("RETRO_CONFIG_DIR", raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert config.config_dir() == tmp_path / "xdg" / "retro"

    def test_token_file_is_owner_only_from_the_start(self, config_dir):
        old_umask = os.umask(0)  # the most permissive umask: the mode must not depend on it
        try:
            path = config.save_token("http://127.0.0.1:8000", "alice", "secret")
        finally:
            os.umask(old_umask)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
        assert config.credentials("http://127.0.0.1:8000") == ("alice", "secret")
        assert config.credentials("http://elsewhere") is None
        assert [p.name for p in config_dir.iterdir()] == ["tokens.json"]  # no temporary left

    def test_rewriting_a_loose_token_file_makes_it_owner_only(self, config_dir):
        config_dir.mkdir()
        loose = config_dir / "tokens.json"
        loose.write_text(json.dumps({"http://a": {"username": "bob", "token": "t"}}))
        loose.chmod(0o644)
        config.save_token("http://b", "carol", "u")
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
        assert config.credentials("http://a") == ("bob", "t")

    def test_forget_token(self, config_dir):
        config.save_token("http://a", "bob", "t")
        assert config.forget_token("http://a") is True
        assert config.forget_token("http://a") is False
        assert config.credentials("http://a") is None

    def test_removing_a_server_forgets_its_token(self, config_dir):
        config.add_server("deployed", "https://myapp.herokuapp.com")
        config.save_token("https://myapp.herokuapp.com", "bob", "t")
        config.remove_server("deployed")
        assert config.credentials("https://myapp.herokuapp.com") is None

    def test_add_server_for_the_deploy_commands(self, config_dir):
        url = config.add_server("heroku", "https://myapp.herokuapp.com/", use=True)
        assert url == "https://myapp.herokuapp.com"
        assert config.resolve_server(None) == url
        assert config.resolve_server("local") == config.DEFAULT_SERVER
        assert config.resolve_server("http://10.0.0.1:8000/") == "http://10.0.0.1:8000"

    def test_a_broken_file_is_a_plain_error(self, config_dir):
        config_dir.mkdir()
        (config_dir / "servers.json").write_text("{not json")
        with pytest.raises(CLIError, match="is not valid JSON"):
            config.servers()
