"""A small but real OpenID Connect provider for the tests, served over HTTP on 127.0.0.1 in a thread:
discovery, authorize (answers at once for the identity set in ``provider.identity``), token (checks the
code, the client's secret and the redirect URI; returns an RS256-signed id_token with the nonce of the
authorization), JWKS, userinfo (ProConnect's claims: email, given_name, usual_name, siret) and the
end of session (``/logout``: records the ``id_token_hint`` it was given, redirects back)."""

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value):
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Provider:
    CLIENT_ID = "gup-test-client"
    CLIENT_SECRET = "gup-test-secret"
    KID = "test-key-1"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.identity = {}
        self.codes = {}
        self.nonce_override = None
        self.id_tokens = []  # as issued, in order
        self.logouts = []  # the query of each /logout call
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def sign(self, claims):
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.KID}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = self.key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    def jwks(self):
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.KID,
                    "n": _int_b64(numbers.n),
                    "e": _int_b64(numbers.e),
                }
            ]
        }

    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery())
                if url.path == "/jwks":
                    return self._json(provider.jwks())
                if url.path == "/authorize":
                    if query.get("client_id") != provider.CLIENT_ID or query.get("response_type") != "code":
                        return self._json({"error": "invalid_request"}, 400)
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {
                        "nonce": query.get("nonce"),
                        "redirect_uri": query["redirect_uri"],
                        "identity": dict(provider.identity),
                    }
                    target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return None
                if url.path == "/logout":
                    provider.logouts.append(query)
                    self.send_response(302)
                    self.send_header("Location", query.get("post_logout_redirect_uri", "/"))
                    self.end_headers()
                    return None
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = next((g for g in provider.codes.values() if g.get("access_token") == token), None)
                    if grant is None:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(grant["identity"])
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token":
                    return self._json({"error": "not_found"}, 404)
                grant = provider.codes.get(form.get("code"))
                if (
                    grant is None
                    or "access_token" in grant
                    or form.get("client_id") != provider.CLIENT_ID
                    or form.get("client_secret") != provider.CLIENT_SECRET
                    or form.get("redirect_uri") != grant["redirect_uri"]
                ):
                    return self._json({"error": "invalid_grant"}, 400)
                grant["access_token"] = secrets.token_urlsafe(24)
                now = int(time.time())
                id_token = provider.sign(
                    {
                        "iss": provider.issuer,
                        "aud": provider.CLIENT_ID,
                        "sub": grant["identity"].get("sub", "sub-1"),
                        "iat": now,
                        "exp": now + 300,
                        "nonce": provider.nonce_override or grant["nonce"],
                        "email": grant["identity"].get("email"),
                    }
                )
                provider.id_tokens.append(id_token)
                return self._json(
                    {"access_token": grant["access_token"], "token_type": "Bearer", "id_token": id_token}
                )

        return Handler
