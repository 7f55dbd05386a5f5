"""The app's confirmation dialog (``web/src/lib/components/ConfirmHost.svelte``), which asks where the browser's
``confirm()`` used to: a modal ``<dialog role="alertdialog">`` with Cancel and a button named for the action."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def confirm_dialog(page: Any) -> Any:
    """The confirmation dialog while it is open (a closed one is hidden, so this matches nothing then)."""
    return page.get_by_role("alertdialog")


def answer_confirm(page: Any, accept: bool = True) -> str:
    """Wait for the confirmation dialog, click its action (``accept``) or Cancel, wait until it has closed, and
    return its message (the text the browser's confirm() showed before)."""
    dialog = confirm_dialog(page)
    expect(dialog).to_be_visible()
    message: str = dialog.get_by_test_id("confirm-message").inner_text()
    dialog.get_by_test_id("confirm-accept" if accept else "confirm-cancel").click()
    expect(dialog).to_be_hidden()
    return message
