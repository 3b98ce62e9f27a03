"""One SDK client (and so one connection pool) per key (base URL, credential) per provider
instance, created on first use and closed together."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

C = TypeVar("C")


class ClientCache(Generic[C]):
    """Clients by key; CLOSE closes one (e.g. `lambda client: client.close()`)."""

    def __init__(self, close: Callable[[C], Awaitable[object]]) -> None:
        self._close = close
        self._clients: dict[Hashable, C] = {}

    def get(self, key: Hashable, make: Callable[[], C]) -> C:
        """The client for KEY, made by MAKE the first time."""
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = make()
        return client

    def __len__(self) -> int:
        return len(self._clients)

    async def aclose(self) -> None:
        """Close every client (errors are logged, never raised: this runs at shutdown)."""
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            try:
                await self._close(client)
            except Exception:
                logger.warning("closing a provider client failed", exc_info=True)
