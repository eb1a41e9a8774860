"""Webhook targets: no loopback, private, link-local, multicast or reserved address (SSRF guard).

Unless settings.WEBHOOK_ALLOW_PRIVATE_TARGETS (false in production, true otherwise), a subscription's
URL is refused when its host resolves to such an address: when it is created or changed
(``check_url``, a 400), and again when a delivery is posted, since DNS can change. At delivery the
check is made on the address actually connected to (``GuardedHTTPConnection``): the name is resolved
once, each address is checked, and the socket connects to a checked address, so a name that resolves
to a public address for the check and to a private one for the connection (DNS rebinding) cannot get
through, nor can a redirect to a private address.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class TargetRefused(ValueError):
    """The URL's host is not an acceptable webhook target; str() says why."""


def private_targets_allowed():
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def forbidden_reason(address):
    """Why an IP address may not be a webhook target ("loopback", ...), or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not globally routable", not ip.is_global),
    ):
        if flag:
            return reason
    return None


def _resolve(host, port):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused(_("The host %(host)s could not be resolved.") % {"host": host}) from None
    if not infos:
        raise TargetRefused(_("The host %(host)s could not be resolved.") % {"host": host})
    return infos


def _check_infos(host, infos):
    for *_rest, sockaddr in infos:
        reason = forbidden_reason(sockaddr[0])
        if reason:
            raise TargetRefused(
                _(
                    "The host %(host)s resolves to %(address)s, a %(reason)s address: webhooks are "
                    "only sent to public addresses."
                )
                % {"host": host, "address": sockaddr[0], "reason": reason}
            )


def check_url(url):
    """Raise TargetRefused if the URL's host resolves to an address webhooks may not be sent to."""
    if private_targets_allowed():
        return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("The URL is not valid.")) from None
    host = parts.hostname
    if not host:
        raise TargetRefused(_("The URL has no host."))
    port = port or (443 if parts.scheme == "https" else 80)
    _check_infos(host, _resolve(host, port))


def _guarded_connect(address, timeout, source_address):
    """socket.create_connection, connecting only to addresses that pass the check."""
    host, port = address
    infos = _resolve(host, port)
    _check_infos(host, infos)
    error = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            if sock is not None:
                sock.close()
    raise error


class GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not private_targets_allowed():
            self._create_connection = _guarded_connect


class GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not private_targets_allowed():
            self._create_connection = _guarded_connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(GuardedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(GuardedHTTPSConnection, req, context=self._context)


def opener():
    """A urllib opener whose connections are checked; no proxy (the check is on the address connected to)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler)
