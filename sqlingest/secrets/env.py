"""Secrets from environment variables: ``secret('db_password')`` reads ``SQLINGEST_SECRET_DB_PASSWORD``."""

from __future__ import annotations

import os

from sqlingest.secrets import SecretProvider


class EnvSecrets(SecretProvider):
    def get(self, name: str) -> str | None:
        prefix = str(self.options.get("prefix", "SQLINGEST_SECRET_"))
        return os.environ.get(prefix + name.upper().replace(".", "_").replace("-", "_"))
