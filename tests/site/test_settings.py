"""The settings module, loaded in fresh processes with the environment production would give."""

import json
import subprocess
import sys

from tests.live import ROOT, production_env

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'layers': settings.CHANNEL_LAYERS, 'debug': settings.DEBUG, "
    "'db': settings.DATABASES['default']['ENGINE'], 'hosts': settings.ALLOWED_HOSTS, "
    "'storage': settings.STORAGES['staticfiles']['BACKEND']}))"
)


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def load(**env) -> dict:
    result = run_python(PRINT_SETTINGS, production_env("sqlite:///:memory:", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class TestSettingsFromTheEnvironment:
    def test_in_memory_layer_when_redis_url_is_unset(self):
        assert load()["layers"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"

    def test_redis_pubsub_layer_when_redis_url_is_set(self):
        layer = load(redis_url="redis://127.0.0.1:6379/3")["layers"]["default"]
        assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
        assert layer["CONFIG"]["hosts"] == [{"address": "redis://127.0.0.1:6379/3"}]

    def test_heroku_rediss_url_accepts_the_self_signed_certificate(self):
        layer = load(redis_url="rediss://:secret@ec2.example:6380")["layers"]["default"]
        assert layer["CONFIG"]["hosts"] == [
            {"address": "rediss://:secret@ec2.example:6380", "ssl_cert_reqs": None}
        ]

    def test_database_url_selects_postgres(self):
        env = production_env("postgres://postgres@127.0.0.1:5432/retrosocial")
        result = run_python(PRINT_SETTINGS, env)
        assert json.loads(result.stdout)["db"] == "django.db.backends.postgresql"

    def test_production_uses_hashed_compressed_static_files(self):
        settings = load()
        assert settings["debug"] is False
        assert settings["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
        assert settings["hosts"] == ["127.0.0.1", "localhost"]


class TestRefusesToStartInsecurely:
    def test_no_secret_key_with_debug_off_is_refused(self):
        env = production_env("sqlite:///:memory:")
        del env["SECRET_KEY"]
        result = run_python(PRINT_SETTINGS, env)
        assert result.returncode != 0
        assert "SECRET_KEY must be set to a long random value when DEBUG is off" in result.stderr

    def test_the_development_key_is_refused_with_debug_off(self):
        env = production_env("sqlite:///:memory:", SECRET_KEY="django-insecure-" + "x" * 60)
        result = run_python(PRINT_SETTINGS, env)
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

    def test_no_allowed_hosts_with_debug_off_is_refused(self):
        env = production_env("sqlite:///:memory:", ALLOWED_HOSTS="")
        result = run_python(PRINT_SETTINGS, env)
        assert result.returncode != 0
        assert "ALLOWED_HOSTS must name the site's host" in result.stderr


def test_check_deploy_reports_no_warnings_with_production_settings():
    env = production_env("sqlite:///:memory:")
    for name in ("SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"):
        del env[name]  # production: the secure defaults
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
