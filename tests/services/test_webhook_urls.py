"""Where webhooks may be sent: never to the server's own network unless LABELHUB_WEBHOOK_HOSTS allows it, names
checked by what they resolve to when saved and again at delivery, TLS checked against the URL's host name, and a
setting that does not parse."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.services._webhook_receiver import LOOPBACK, SYSTEM, Receiver, add_hook, receiver, record_event, verify

from labelhub.config import Settings
from labelhub.errors import ConfigurationError, ValidationError
from labelhub.hub import Hub
from labelhub.services import webhooks
from labelhub.services.webhook_dispatch import WebhookDispatcher, send_test
from labelhub.services.webhook_send import Sender
from labelhub.services.webhook_urls import HostPolicy, check_url
from labelhub.storage.team_models import Webhook, WebhookDelivery


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_hosts": "loopback"})


def _version(hub: Hub, hook_id: int) -> int:
    with hub.db.session() as s:
        return s.get_one(Webhook, hook_id).version


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/h",
        "http://10.1.2.3/h",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/h",
        "http://0.0.0.0/h",
        "http://[::ffff:10.0.0.1]/h",
    ],
)
def test_the_default_setting_refuses_the_server_s_own_network(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_url(url, HostPolicy.parse("external"))
    assert caught.value.context["field"] == "url"
    assert "LABELHUB_WEBHOOK_HOSTS" in caught.value.detail and "public" in caught.value.detail


def test_names_are_checked_by_what_they_resolve_to_also_at_delivery(hub: Hub, rx: Receiver) -> None:
    dns = {"hooks.example.org": ["93.184.216.34"]}
    external = HostPolicy.parse("external")
    check_url("https://hooks.example.org/x", external, resolve=lambda h, p: dns[h])
    dns["hooks.example.org"] = ["10.0.0.5"]
    with pytest.raises(ValidationError, match=r"hooks\.example\.org \(10\.0\.0\.5\), a private address"):
        check_url("https://hooks.example.org/x", external, resolve=lambda h, p: dns[h])
    check_url("https://hooks.example.org/x", HostPolicy.parse("*.example.org"), resolve=lambda h, p: dns[h])
    check_url("https://hooks.example.org/x", HostPolicy.parse("10.0.0.0/8"), resolve=lambda h, p: dns[h])
    with pytest.raises(ValidationError, match="user name or password"):
        check_url("https://user:hunter2@hooks.example.org/x", HostPolicy.parse("*"))
    with pytest.raises(ValidationError, match="https:// or http://"):
        check_url("ftp://hooks.example.org/x", HostPolicy.parse("*"))

    # Saved while the name led outside; by the time of delivery it leads to a private address: not sent.
    pid = new_project(hub, "rebind")
    hook_id, _ = add_hook(hub, pid, rx.url.replace("127.0.0.1", "receiver.test"), ["item.*"])
    record_event(hub, pid, "item.approve")
    dns["receiver.test"] = ["10.9.9.9"]
    dispatcher = WebhookDispatcher(hub.settings, resolve=lambda h, p: dns[h])
    dispatcher.step(hub, "a")
    dispatcher.close()
    assert rx.requests == []
    with hub.db.session() as s:
        error = s.scalar(select(WebhookDelivery.error).where(WebhookDelivery.webhook_id == hook_id))
    assert error is not None and error.startswith("not sent: url leads to receiver.test (10.9.9.9), a private")
    # ...and a name that leads to the allowed loopback is sent to the address that was checked.
    dns["receiver.test"] = ["127.0.0.1"]
    with hub.db.session(write=True) as s:
        webhooks.resume_hook(s, SYSTEM, pid, hook_id)
    dispatcher = WebhookDispatcher(hub.settings, resolve=lambda h, p: dns[h])
    dispatcher.step(hub, "a")
    dispatcher.close()
    assert rx.events() == ["item.approve"] and rx.requests[0].headers["host"].startswith("receiver.test:")


def test_a_pinned_https_delivery_checks_the_certificate_against_the_host_name(hub: Hub, tmp_path: Path) -> None:
    """The request goes to the address that was checked, yet TLS still verifies the URL's host name."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=receiver.test",
            "-addext",
            "subjectAltName=DNS:receiver.test",
        ],
        check=True,
        capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    pid = new_project(hub, "tls")
    with receiver(tls=server_tls) as rx:
        port = rx.url.split(":")[2].split("/")[0]
        hook_id, secret = add_hook(hub, pid, f"https://receiver.test:{port}/hook", ["item.*"])
        record_event(hub, pid, "item.approve")
        dns = {"receiver.test": ["127.0.0.1"]}
        with Sender(
            hub.settings, transport=httpx.HTTPTransport(verify=trusting), resolve=lambda h, p: dns[h]
        ) as sender:
            assert send_test(hub, SYSTEM, pid, hook_id, sender=sender).ok
            assert rx.requests[0].headers["host"] == f"receiver.test:{port}"
            assert verify(secret, rx.requests[0].headers, rx.requests[0].body)
        # A certificate for another name is refused, though the address is the same.
        with Sender(
            hub.settings, transport=httpx.HTTPTransport(verify=trusting), resolve=lambda h, p: ["127.0.0.1"]
        ) as sender:
            with hub.db.session(write=True) as s:
                version = _version(hub, hook_id)
                webhooks.update_hook(
                    s,
                    SYSTEM,
                    pid,
                    hook_id,
                    expected_version=version,
                    policy=LOOPBACK,
                    url=f"https://other.test:{port}/hook",
                )
            failed = send_test(hub, SYSTEM, pid, hook_id, sender=sender)
        assert not failed.ok and failed.error is not None and "certificate" in failed.error.lower()


def test_a_setting_that_does_not_parse_is_named_and_stops_delivery_quietly(hub: Hub, rx: Receiver) -> None:
    with pytest.raises(ConfigurationError, match="LABELHUB_WEBHOOK_HOSTS: 'not a host!'"):
        HostPolicy.parse("loopback, not a host!")
    pid = new_project(hub, "misconfigured")
    add_hook(hub, pid, rx.url)
    record_event(hub, pid, "item.approve")
    bad = hub.settings.model_copy(update={"webhook_hosts": "not a host!"})
    assert WebhookDispatcher(bad).step(hub, "a") is False
    assert rx.requests == []
