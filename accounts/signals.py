"""Sign-in and failures logged (logger ``gup.auth``) without passwords, tokens, names or e-mails: the
user's id on success, a short hash of the name typed on failure, and the client's address."""

import hashlib
import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from gup.login_limits import client_address
from gup.middleware import mark_session_active

logger = logging.getLogger("gup.auth")


def _hash(value):
    return hashlib.sha256(str(value or "").strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:12]


def logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_session_active(request.session)  # a fresh session needs no refresh on its first page
    logger.info("login succeeded user=%s address=%s", user.pk, client_address(request))


def logged_out(sender, request, user, **kwargs):
    logger.info("logout user=%s", getattr(user, "pk", None))


def login_failed(sender, credentials, request=None, **kwargs):
    logger.warning(
        "login failed account=%s address=%s",
        _hash(credentials.get("username")),
        client_address(request),
    )


def connect():
    user_logged_in.connect(logged_in, dispatch_uid="accounts.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="accounts.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="accounts.login_failed")
