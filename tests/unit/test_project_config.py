from __future__ import annotations

import pytest

from sqlingest.errors import CompileErrors, ConfigError, UserError, redact
from sqlingest.project import load_project


def test_defaults_give_the_embedded_target(make_project):
    project = load_project(make_project({}))
    assert project.target_name == "dev"
    assert project.target.catalog.type == "iceberg_jdbc"
    assert project.target.format == "iceberg"
    assert project.config.layer("bronze").strict is False
    assert project.config.layer("silver").strict is True


def test_unknown_key_is_located_with_did_you_mean(make_project):
    root = make_project({}, config="name: t\ntargets:\n  dev:\n    fromat: delta\n")
    with pytest.raises(UserError) as err:
        load_project(root)
    text = err.value.format()
    assert "sqlingest.yml:4:5: unknown key 'fromat'" in text
    assert "did you mean 'format'?" in text


def test_several_errors_are_reported_together(make_project):
    root = make_project({}, config="name: t\nvars: 3\ntargets:\n  dev:\n    threads: 0\n")
    with pytest.raises(CompileErrors) as err:
        load_project(root)
    assert len(err.value.errors) == 2


def test_env_var_and_default(make_project, monkeypatch):
    config = ("name: t\ntargets:\n  dev:\n    spark:\n      master: \"{{ env_var('T_MASTER', 'local[1]') }}\"\n"
              "      app_name: \"{{ env_var('T_APP') }}\"\n")
    monkeypatch.setenv("T_APP", "app-from-env")
    project = load_project(make_project({}, config=config))
    assert project.target.spark.master == "local[1]"
    assert project.target.spark.app_name == "app-from-env"
    monkeypatch.delenv("T_APP")
    with pytest.raises(ConfigError, match="environment variable 'T_APP' is not set"):
        load_project(make_project({}, config=config))


def test_secret_is_resolved_and_redacted(make_project, monkeypatch):
    monkeypatch.setenv("SQLINGEST_SECRET_DB_PASSWORD", "s3cr3t-value")
    config = ("name: t\ntargets:\n  dev:\n    catalog:\n      type: iceberg_jdbc\n"
              "      uri: jdbc:postgresql://127.0.0.1/x\n      password: \"{{ secret('db_password') }}\"\n")
    project = load_project(make_project({}, config=config))
    assert project.target.catalog.options["password"] == "s3cr3t-value"
    assert redact("password=s3cr3t-value;") == "password=***;"
    assert "s3cr3t-value" not in UserError("failed with s3cr3t-value").format()


def test_missing_secret_names_providers(make_project):
    config = "name: t\nvars:\n  x: \"{{ secret('nope_not_set') }}\"\n"
    with pytest.raises(ConfigError, match="secret 'nope_not_set' is not set"):
        load_project(make_project({}, config=config))


def test_file_secret_provider(make_project):
    config = ("name: t\nsecrets:\n  - {type: file, path: secrets.yml}\n"
              "vars:\n  token: \"{{ secret('api_token') }}\"\n")
    root = make_project({"secrets.yml": "api_token: tok-123456\n"}, config=config)
    assert load_project(root).vars["token"] == "tok-123456"


def test_unknown_target(make_project):
    with pytest.raises(ConfigError, match="unknown target 'prod'"):
        load_project(make_project({}), target="prod")


def test_cli_vars_override_project_vars(make_project):
    root = make_project({}, config="name: t\nvars: {a: 1, b: 2}\n")
    project = load_project(root, cli_vars={"b": 3})
    assert project.vars == {"a": 1, "b": 3}


def test_invalid_yaml_is_located(make_project):
    root = make_project({}, config="name: t\nvars: [1, 2\n")
    with pytest.raises(UserError) as err:
        load_project(root)
    assert err.value.location is not None and err.value.location.line >= 2
