import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from gup.env import env_bool, parse_cache_url, parse_database_url

BASE = Path(__file__).resolve().parents[2]


def test_it_reads_a_relative_sqlite_url_under_the_project():
    config = parse_database_url("sqlite:///var/x.sqlite3", BASE)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(BASE / "var" / "x.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_reads_an_absolute_sqlite_url():
    assert parse_database_url("sqlite:////tmp/gup.db", BASE)["NAME"] == "/tmp/gup.db"


def test_it_reads_an_in_memory_sqlite_url():
    assert parse_database_url("sqlite://:memory:", BASE)["NAME"] == ":memory:"


def test_it_reads_a_postgres_url_with_credentials_port_and_options():
    config = parse_database_url("postgres://gup:s%40cret@db.example:6543/gupdb?sslmode=require", BASE)
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "gupdb",
        "USER": "gup",
        "PASSWORD": "s@cret",
        "HOST": "db.example",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
    }


def test_it_rejects_an_unknown_database_scheme():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        parse_database_url("mysql://root@localhost/db", BASE)


def test_it_rejects_a_postgres_url_without_database_name():
    with pytest.raises(ImproperlyConfigured, match="must name a database"):
        parse_database_url("postgres://root@localhost", BASE)


def test_it_rejects_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def _manage(args, **env):
    # The browser tests' session sets DJANGO_ALLOW_ASYNC_UNSAFE in this process: not a production variable.
    dropped = (
        "DJANGO_ENV",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "WORKER_JOBS",
    )
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    clean["DATABASE_URL"] = "sqlite:///:memory:"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE, env=clean, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
    "ALLOWED_HOSTS": "gup.example.org",
    "SITE_BASE_URL": "https://gup.example.org",
}


def test_the_production_profile_passes_check_deploy_without_warning():
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_production_profile_refuses_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = _manage(["check"], **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DJANGO_ENV=production" in result.stderr


def test_the_production_profile_refuses_a_short_secret_key():
    result = _manage(["check"], **{**PRODUCTION_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 random characters" in result.stderr


def test_the_production_profile_refuses_debug():
    result = _manage(["check"], **{**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_it_reads_a_redis_cache_url_for_a_shared_cache():
    config = parse_cache_url("redis://127.0.0.1:6379/1")
    assert config == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }


def test_it_keeps_a_local_memory_cache_by_default():
    assert parse_cache_url("locmem://")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_it_rejects_an_unknown_cache_scheme():
    with pytest.raises(ImproperlyConfigured, match="memcached"):
        parse_cache_url("memcached://127.0.0.1:11211")


def test_every_worker_job_is_listed_once():
    # a job listed twice runs twice per tick and hides its first count in the worker's report
    from django.conf import settings

    assert len(settings.WORKER_JOBS) == len(set(settings.WORKER_JOBS)), settings.WORKER_JOBS
