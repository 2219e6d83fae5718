"""The built-in secret providers pass the conformance suite plugin authors run (sqlingest.testing.secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sqlingest.testing.secrets import SecretProviderBehaviour, SecretProviderUnderTest


class EnvCase(SecretProviderUnderTest):
    type = "env"

    def put(self, name: str, value: str) -> None:
        self.monkeypatch.setenv("SQLINGEST_SECRET_" + name.upper(), value)


class FileCase(SecretProviderUnderTest):
    type = "file"

    def options(self) -> dict[str, str]:
        return {"path": "secrets.yml"}

    def put(self, name: str, value: str) -> None:
        path = self.root / "secrets.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        path.write_text(yaml.safe_dump({**data, name: value}, allow_unicode=True), encoding="utf-8")


class FolderCase(SecretProviderUnderTest):
    type = "file"

    def options(self) -> dict[str, str]:
        return {"path": str(self.root / "mounted")}

    def put(self, name: str, value: str) -> None:
        (self.root / "mounted").mkdir(exist_ok=True)
        (self.root / "mounted" / name).write_text(value + "\n", encoding="utf-8")


class TestEnvSecrets(SecretProviderBehaviour):
    @pytest.fixture
    def case(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretProviderUnderTest:
        return EnvCase(tmp_path, monkeypatch)


class TestFileSecrets(SecretProviderBehaviour):
    @pytest.fixture
    def case(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretProviderUnderTest:
        return FileCase(tmp_path, monkeypatch)


class TestFolderSecrets(SecretProviderBehaviour):
    @pytest.fixture
    def case(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretProviderUnderTest:
        return FolderCase(tmp_path, monkeypatch)
