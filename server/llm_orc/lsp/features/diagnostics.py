"""Diagnostics: the engine validator's findings, published while the user types.

Validation starts as soon as a change arrives (no fixed delay); changes that arrive while a
document is being checked are coalesced into one more check of the newest text, and a result
for a superseded version is dropped. Clients that declare pull diagnostics are answered on
request instead of pushed to. Each open ensemble's last report is kept, so the next edit's
validation re-reads only the agent the edit touched (`llm_orc.validation.yaml_splice`).

The price table (about half a second to import, once per process) is never loaded on the event
loop: a document whose budget check needs it is checked without that check, the table is
loaded in a thread, and the document is checked again (and its diagnostics published again, or
a pulling client asked to refresh) once it is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from llm_orc.config.workspace import Workspace
from llm_orc.lsp.conversions import to_lsp_diagnostic
from llm_orc.lsp.documents import DocumentKind
from llm_orc.pricing.table import load_table
from llm_orc.validation import ValidationReport, validate_profiles_text

if TYPE_CHECKING:
    from llm_orc.lsp.server import LlmOrcLanguageServer

logger = logging.getLogger(__name__)


def document_report(
    document: TextDocument,
    kind: DocumentKind,
    workspace: Workspace,
    *,
    wait_for_prices: bool,
    previous: ValidationReport | None = None,
) -> ValidationReport | None:
    """The validator's report on DOCUMENT (pure: no I/O beyond the config); None when it is
    not an llm-orc document. PREVIOUS, the report on its text before the edit, lets an
    ensemble's validation reuse what the edit did not touch (the report is the same)."""
    if kind is DocumentKind.ENSEMBLE:
        return workspace.validate_text(
            document.source, wait_for_prices=wait_for_prices, previous=previous, for_edits=True
        )
    if kind is DocumentKind.PROFILES:
        return validate_profiles_text(document.source)
    return None


def _release(_: object) -> None:
    """Nothing: called later with a report, so that it is freed after the answer is sent."""


class DiagnosticsFeature:
    """Keeps every open llm-orc document's diagnostics current."""

    def __init__(self, server: LlmOrcLanguageServer) -> None:
        self.server = server
        self._checking: dict[str, asyncio.Task[None]] = {}
        self._stale: set[str] = set()
        self._pulled: dict[str, tuple[int | None, list[types.Diagnostic]]] = {}
        self._reports: dict[str, ValidationReport] = {}
        """The last report on each open ensemble, for the next edit to reuse (its parse)."""
        self._prices: asyncio.Task[None] | None = None
        """Loading the price table, once (None: not asked for yet)."""
        self._prices_tried = False
        self._after_prices: set[str] = set()
        """Documents checked without the checks that need the price table."""

    # -- document events ----------------------------------------------------------------------

    def document_changed(self, uri: str) -> None:
        """Opened or edited: check it now, or once more when the running check ends."""
        if self.server.uses_pull_diagnostics or self.server.kind_of(uri) is DocumentKind.OTHER:
            return
        if uri in self._checking:
            self._stale.add(uri)
            return
        self._checking[uri] = self.server.start_task(self._check(uri), f"diagnostics {uri}")

    def document_closed(self, uri: str) -> None:
        task = self._checking.pop(uri, None)
        if task is not None:
            task.cancel()
        self._stale.discard(uri)
        self._pulled.pop(uri, None)
        self._reports.pop(uri, None)
        if (
            not self.server.uses_pull_diagnostics
            and self.server.kind_of(uri) is not DocumentKind.OTHER
        ):
            self._publish(uri, None, [])

    def configuration_changed(self) -> None:
        """Profiles or ensembles changed on disk: check every open llm-orc document again."""
        self.server.workspaces.invalidate()
        self._pulled.clear()
        if self.server.uses_pull_diagnostics:
            if self.server.client_supports_diagnostic_refresh:
                self.server.workspace_diagnostic_refresh(None)
            return
        for uri in list(self.server.workspace.text_documents):
            self.document_changed(uri)

    # -- pull ---------------------------------------------------------------------------------

    def pull(self, uri: str) -> list[types.Diagnostic]:
        """The current diagnostics of URI, for `textDocument/diagnostic`."""
        document = self.server.workspace.get_text_document(uri)
        cached = self._pulled.get(uri)
        if cached is not None and cached[0] == document.version:
            return cached[1]
        items = self._compute(document)
        self._pulled[uri] = (document.version, items)
        return items

    # -- push ---------------------------------------------------------------------------------

    async def _check(self, uri: str) -> None:
        try:
            while True:
                await asyncio.sleep(0)  # let changes already queued land first
                self._stale.discard(uri)
                if uri not in self.server.workspace.text_documents:
                    return
                document = self.server.workspace.get_text_document(uri)
                version = document.version
                items = self._compute(document)
                current = self.server.workspace.text_documents.get(uri)
                if current is not None and current.version == version:
                    self._publish(uri, version, items)
                if uri not in self._stale:
                    return
        finally:
            self._checking.pop(uri, None)

    def _compute(self, document: TextDocument) -> list[types.Diagnostic]:
        path = self.server.path_of(document.uri)
        if path is None:
            return []
        previous = self._reports.pop(document.uri, None)
        try:
            report = document_report(
                document,
                self.server.kind_of(document.uri),
                self.server.workspaces.for_path(path),
                wait_for_prices=self._wait_for_prices(),
                previous=previous,
            )
            if report is None:
                return []
            items = [to_lsp_diagnostic(document, diagnostic) for diagnostic in report.diagnostics]
        except Exception:  # a bug here must not take the editor's diagnostics down
            logger.exception("validating %s failed", document.uri)
            return []
        if report.waits_for_prices:
            self._check_after_prices(document.uri)
        if report.splice is not None:
            self._reports[document.uri] = report
        # Freeing a 500-agent report takes a few milliseconds: after the answer has gone out.
        asyncio.get_running_loop().call_soon(_release, (previous, report))
        return items

    # -- the price table ----------------------------------------------------------------------

    def _wait_for_prices(self) -> bool:
        """Whether a check may load the price table itself: once the thread has tried (then it
        is quick, or fails as it would have anyway), or when a pulling client cannot be asked
        to pull again."""
        if self._prices_tried:
            return True
        server = self.server
        return server.uses_pull_diagnostics and not server.client_supports_diagnostic_refresh

    def _check_after_prices(self, uri: str) -> None:
        self._after_prices.add(uri)
        if self._prices is None:
            self._prices = self.server.start_task(self._load_prices(), "price table")

    async def _load_prices(self) -> None:
        """Load the price table in a thread, then check again what was checked without it."""
        try:
            await asyncio.to_thread(load_table)
        finally:
            self._prices_tried = True
            waiting, self._after_prices = self._after_prices, set()
            for uri in waiting:
                self._pulled.pop(uri, None)
            if self.server.uses_pull_diagnostics:
                self.server.workspace_diagnostic_refresh(None)
            else:
                for uri in waiting:
                    self.document_changed(uri)

    def _publish(self, uri: str, version: int | None, items: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version)
        )
