"""Secret providers: where ``{{ secret('name') }}`` values come from.

Every value a provider returns is registered for redaction: it never appears in logs, compiled SQL, run records or
error messages. Built-ins: ``env`` (environment variables) and ``file`` (a YAML file or a folder of files). A vault
is a subclass of :class:`SecretProvider` registered under the entry point group ``sqlingest.secrets``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from sqlingest.errors import ConfigError, register_secret
from sqlingest.plugins import PluginRegistry


class SecretProvider(ABC):
    """Looks secrets up by name."""

    def __init__(self, project_dir: Path, **options: Any) -> None:
        self.project_dir = project_dir
        self.options = options

    @abstractmethod
    def get(self, name: str) -> str | None:
        """The secret called ``name``, or None when this provider does not have it."""


PROVIDERS: PluginRegistry[type[SecretProvider]] = PluginRegistry(
    "secrets", {"env": "sqlingest.secrets.env:EnvSecrets", "file": "sqlingest.secrets.file:FileSecrets"}
)


class Secrets:
    """The chain of providers configured for a project; the first that knows a name wins."""

    def __init__(self, providers: list[SecretProvider]) -> None:
        self.providers = providers

    @classmethod
    def from_config(cls, project_dir: Path, configs: list[Any]) -> Secrets:
        if not configs:
            configs = [{"type": "env"}, {"type": "file"}]
        providers = []
        for cfg in configs:
            kind = cfg["type"] if isinstance(cfg, dict) else cfg.type
            options = {k: v for k, v in cfg.items() if k != "type"} if isinstance(cfg, dict) else cfg.options
            providers.append(PROVIDERS.load(kind)(project_dir, **options))
        return cls(providers)

    def get(self, name: str) -> str:
        """The secret ``name``.

        Raises:
            ConfigError: no provider has it.
        """
        for provider in self.providers:
            value = provider.get(name)
            if value is not None:
                register_secret(value)
                return value
        tried = ", ".join(type(p).__name__ for p in self.providers)
        raise ConfigError(f"secret '{name}' is not set", hint=f"providers tried: {tried}; e.g. export "
                          f"SQLINGEST_SECRET_{name.upper()}=…")
