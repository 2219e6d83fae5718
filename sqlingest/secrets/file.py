"""Secrets from files: a YAML mapping (``path: secrets.yml``) or a folder with one file per secret
(``path: /run/secrets``, as Docker and Kubernetes mount them). Default: ``.sqlingest/secrets.yml``."""

from __future__ import annotations

from pathlib import Path

import yaml

from sqlingest.errors import ConfigError
from sqlingest.project.files import read_text
from sqlingest.secrets import SecretProvider


class FileSecrets(SecretProvider):
    def get(self, name: str) -> str | None:
        path = Path(str(self.options.get("path", ".sqlingest/secrets.yml")))
        if not path.is_absolute():
            path = self.project_dir / path
        if path.is_dir():
            candidate = path / name
            return read_text(candidate, error=ConfigError, secret=True).strip() if candidate.is_file() else None
        if not path.is_file():
            return None
        try:
            data = yaml.safe_load(read_text(path, error=ConfigError, secret=True)) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"secrets file {path} is not valid YAML: {exc}") from None
        value = data.get(name) if isinstance(data, dict) else None
        return None if value is None else str(value)
