"""The members section of a project's settings: it shows what the server has, even after a refused change; rows a
manager can never change (owners) are not offered as editable; and demoting or removing yourself asks first, then
leaves the page as your new role sees it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e._confirm import answer_confirm
from tests.e2e.conftest import API, Server, Shots, add_member, login, logout


def _roles(server: Server, pid: int) -> dict[str, str]:
    members = server.api.get(f"{API}/projects/{pid}/members").raise_for_status().json()
    return {m["username"]: m["role"] for m in members}


def test_a_manager_cannot_touch_owners_sees_refusals_as_the_server_has_them_and_demotes_themselves(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Members seen by a manager", ["cat"])["id"]
    add_member(server, pid, "mm-owner", "owner")
    _, password = add_member(server, pid, "mm-manager", "manager")
    annotator_id, _ = add_member(server, pid, "mm-annotator", "annotator")

    login(page, "mm-manager", password)
    page.goto(f"/#/projects/{pid}/settings")
    members = page.get_by_test_id("members")
    expect(members.get_by_test_id("member-row")).to_have_count(4)

    # An owner's row is shown, not offered: its role cannot be changed and it has no Remove; the title says why.
    owner_role = members.get_by_label("Role of mm-owner")
    expect(owner_role).to_have_value("owner")
    expect(owner_role).to_be_disabled()
    expect(owner_role).to_have_attribute("title", "Only an owner can change an owner's role or remove them.")
    owner_row = members.get_by_test_id("member-row").filter(has_text="mm-owner")
    expect(owner_row.get_by_role("button", name="Remove")).to_have_count(0)
    annotator_row = members.get_by_test_id("member-row").filter(has_text="mm-annotator")
    expect(members.get_by_label("Role of mm-annotator")).to_be_enabled()
    expect(annotator_row.get_by_role("button", name="Remove")).to_be_enabled()
    shots(page, "owners-locked")

    # Someone made the annotator an owner meanwhile: the manager's change is refused, and the page then shows the
    # role the server has (owner, locked), with the reason.
    r = server.api.put(f"{API}/projects/{pid}/members/{annotator_id}", json={"role": "owner"})
    assert r.status_code == 200, r.text
    members.get_by_label("Role of mm-annotator").select_option("reviewer")
    expect(members.get_by_test_id("problem")).to_contain_text("ownership")
    expect(members.get_by_label("Role of mm-annotator")).to_have_value("owner")
    expect(members.get_by_label("Role of mm-annotator")).to_be_disabled()
    expect(annotator_row.get_by_role("button", name="Remove")).to_have_count(0)
    assert _roles(server, pid)["mm-annotator"] == "owner"
    shots(page, "refused-shows-the-server-s-role")

    # Demoting yourself asks first; Cancel leaves the role as it was, on the page and on the server, and the focus
    # back on the select (drawn anew).
    messages: list[str] = []
    own_role = members.get_by_label("Role of mm-manager")
    own_role.select_option("viewer")
    messages.append(answer_confirm(page, accept=False))
    assert "You will lose manager rights in this project" in messages[0], messages
    expect(own_role).to_have_value("manager")
    expect(own_role).to_be_focused()
    assert _roles(server, pid)["mm-manager"] == "manager"

    # OK demotes: the page is then what a viewer sees (no role choices, no Remove, no Add member, no Save).
    own_role.select_option("viewer")
    messages.append(answer_confirm(page, accept=True))
    expect(members.get_by_role("combobox")).to_have_count(0)
    expect(members.get_by_role("button", name="Remove")).to_have_count(0)
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(members.get_by_test_id("member-row").filter(has_text="mm-manager")).to_contain_text("viewer")
    assert len(messages) == 2
    assert _roles(server, pid)["mm-manager"] == "viewer"
    shots(page, "demoted-self")


def test_a_refused_change_of_your_own_role_is_undone_on_the_page_and_leaving_asks_first(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Members with one owner", ["cat"])["id"]
    _, owner_password = add_member(server, pid, "mo-owner", "owner")
    _, manager_password = add_member(server, pid, "mo-manager", "manager")
    admin_id = server.api.get(f"{API}/auth/me").raise_for_status().json()["id"]
    r = server.api.delete(f"{API}/projects/{pid}/members/{admin_id}")  # mo-owner is now the only owner
    assert r.status_code == 204, r.text

    login(page, "mo-owner", owner_password)
    page.goto(f"/#/projects/{pid}/settings")
    members = page.get_by_test_id("members")
    own_role = members.get_by_label("Role of mo-owner")
    expect(own_role).to_have_value("owner")

    # The last owner cannot step down: after confirming, the server refuses and the select shows owner again, with
    # the focus.
    messages: list[str] = []
    own_role.select_option("manager")
    messages.append(answer_confirm(page, accept=True))
    expect(members.get_by_test_id("problem")).to_contain_text("at least one owner")
    expect(own_role).to_have_value("owner")
    expect(own_role).to_be_enabled()
    expect(own_role).to_be_focused()
    assert messages and "You will lose owner rights in this project" in messages[0], messages
    assert _roles(server, pid)["mo-owner"] == "owner"
    shots(page, "last-owner-refused")
    logout(page)

    # A manager leaving the project is asked first, and is then back on the projects page without it.
    login(page, "mo-manager", manager_password)
    expect(page.get_by_test_id("project-card").filter(has_text="Members with one owner")).to_have_count(1)
    page.goto(f"/#/projects/{pid}/settings")
    own_row = members.get_by_test_id("member-row").filter(has_text="mo-manager")
    own_row.get_by_role("button", name="Leave").click()
    messages.append(answer_confirm(page, accept=True))
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
    expect(page.get_by_test_id("project-card").filter(has_text="Members with one owner")).to_have_count(0)
    assert "You will lose manager rights in this project" in messages[1], messages
    assert "mo-manager" not in _roles(server, pid)
    shots(page, "left")
