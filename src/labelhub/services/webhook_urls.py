"""Where a webhook may send: the URL's shape, and the addresses its host resolves to, against the server's
``LABELHUB_WEBHOOK_HOSTS`` setting.

By default (``external``) a webhook sends only to public addresses: a host that is, or resolves to, a loopback,
private, link-local (cloud metadata), multicast, reserved, shared or unspecified address is refused, as Gitea
does by default, so a project manager cannot make the server call its own network. ``*`` allows any host; a
comma list adds to the public addresses: ``loopback``, ``private``, host names (``hooks.corp.example``,
``*.corp.example``), addresses and CIDRs (``10.2.0.0/16``).

The check runs when a hook is saved and again right before each delivery (DNS may have changed since), and the
delivery then connects to the very address that was checked (:attr:`Target.address`), so a name that resolves
differently a moment later cannot slip through. Written here: httpx has no hook to vet the address it connects
to; the rules follow Gitea's ``hostmatcher``.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from labelhub.errors import ConfigurationError, ValidationError

__all__ = ["HostPolicy", "Target", "check_shape", "check_url", "shown_url"]

SETTING = "LABELHUB_WEBHOOK_HOSTS"
MAX_URL = 2000
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """The parsed ``LABELHUB_WEBHOOK_HOSTS``: which non-public hosts and addresses are allowed too."""

    anywhere: bool = False
    kinds: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, setting: str) -> HostPolicy:
        """Read the setting; ConfigurationError naming it for an entry that is neither a keyword, a host name,
        an address nor a CIDR."""
        kinds: set[str] = set()
        names: list[str] = []
        networks: list[Network] = []
        for raw in setting.split(","):
            entry = raw.strip().lower()
            if not entry or entry == "external":
                continue
            if entry == "*":
                return cls(anywhere=True)
            if entry in ("loopback", "private"):
                kinds.add(entry)
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not all(part == "*" or part.replace("-", "").replace("_", "").isalnum() for part in entry.split(".")):
                raise ConfigurationError(
                    f"{SETTING}: {raw.strip()!r} is not external, *, loopback, private, a host name, an address "
                    "or a CIDR",
                    field=SETTING,
                )
            names.append(entry)
        return cls(kinds=frozenset(kinds), names=tuple(names), networks=tuple(networks))

    def allows_name(self, host: str) -> bool:
        return self.anywhere or any(fnmatch.fnmatchcase(host.lower(), name) for name in self.names)

    def refusal(self, ip: IP) -> str | None:
        """Why ``ip`` is refused (its kind, "a private address"), or None when it is allowed."""
        if self.anywhere:
            return None
        kind = address_kind(ip)
        if kind is None or kind in self.kinds or any(ip in net for net in self.networks if net.version == ip.version):
            return None
        return kind


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: its host and port, and the address the delivery connects to."""

    url: str
    host: str
    port: int
    address: str | None  # None: the host name did not resolve (the delivery fails as unreachable)

    def request_args(self) -> dict[str, Any]:
        """httpx request arguments that connect to :attr:`address` while naming the host in ``Host`` and TLS
        (so the certificate is checked against the host name, not the address)."""
        if self.address is None or self.address == self.host.strip("[]"):
            return {"url": self.url, "headers": {}, "extensions": {}}
        original = httpx.URL(self.url)
        pinned = original.copy_with(host=self.address)
        extensions = {"sni_hostname": self.host} if original.scheme == "https" else {}
        return {"url": str(pinned), "headers": {"Host": original.netloc.decode("ascii")}, "extensions": extensions}


def address_kind(ip: IP) -> str | None:
    """The kind of a non-public address in words ("a loopback address"), or None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def shown_url(url: str) -> str:
    """The URL as errors and logs show it: scheme, host, port and path, without credentials or query."""
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "(an unreadable URL)"
    port = f":{u.port}" if u.port else ""
    host = f"[{u.host}]" if ":" in u.host else u.host
    return f"{u.scheme}://{host}{port}{u.path}"


def check_shape(url: str) -> httpx.URL:
    """Return the parsed URL, or raise ValidationError (field ``url``) for one that is not an http(s) URL with
    a host and no user name or password."""
    if len(url) > MAX_URL:
        raise ValidationError(f"url is longer than {MAX_URL} characters", field="url")
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValidationError(f"url is not a valid URL: {str(exc).split(':')[0]}", field="url") from None
    if u.scheme not in ("http", "https"):
        raise ValidationError("url must start with https:// or http://", field="url")
    if not u.host:
        raise ValidationError("url names no host", field="url")
    if u.userinfo:
        raise ValidationError(
            "url must not hold a user name or password: every request is signed with the hook's secret "
            "(X-Labelhub-Signature-256) for the receiver to check; a token in the query string works too",
            field="url",
        )
    return u


def default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def check_url(url: str, policy: HostPolicy, *, resolve: Resolver = default_resolver) -> Target:
    """Return the checked :class:`Target`, or raise ValidationError (field ``url``) naming the host, the kind
    of address it leads to, and the setting that would allow it.

    A literal address is read without DNS. A name the policy lists is allowed wherever it leads; any other name
    is resolved now and every address it resolves to must be allowed. A name that does not resolve passes (no
    request can reach it; its delivery fails as unreachable).
    """
    u = check_shape(url)
    host, port = u.host, u.port or (443 if u.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if policy.allows_name(host):
            return Target(url, host, port, _first(host, port, resolve))
        try:
            addresses = [ipaddress.ip_address(a) for a in dict.fromkeys(resolve(host, port))]
        except (OSError, UnicodeError, ValueError):
            return Target(url, host, port, None)
    for ip in addresses:
        kind = policy.refusal(ip)
        if kind is not None:
            raise ValidationError(_refused(host, ip, kind), field="url")
    return Target(url, host, port, str(addresses[0]) if addresses else None)


def _first(host: str, port: int, resolve: Resolver) -> str | None:
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError):
        return None
    return found[0] if found else None


def _refused(host: str, ip: IP, kind: str) -> str:
    where = host if str(ip) == host.strip("[]") else f"{host} ({ip})"
    article = "an" if kind[0] in "aeiou" else "a"
    if kind in ("loopback", "private"):
        allow = f"{SETTING}=external,{kind}"
    else:
        allow = f"{SETTING}=external,{ip}" if str(ip) == host.strip("[]") else f"{SETTING}=external,{host}"
    return (
        f"url leads to {where}, {article} {kind} address: webhooks send only to public addresses on this server; "
        f"an administrator can allow it with {allow} (or {SETTING}=* for any host)"
    )
