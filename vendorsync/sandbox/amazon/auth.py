"""Login with Amazon (LWA): the refresh-token grant and the access tokens SP-API calls must carry.

Amazon answers a bad grant with OAuth error bodies (``invalid_client``, ``invalid_grant``...)
and refuses expired or unknown access tokens; the app's token cache and refresh logic are
exercised against exactly that. Tokens expire on the simulated clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from vendorsync.sandbox.common import utc_timestamp as iso

from .core import SimulatorCore, parse_time


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str


DEMO_CLIENT_ID = "amzn1.application-oa2-client.vendorsync-sandbox"
DEMO_CLIENT_SECRET = "amzn1.oa2-cs.v1.vendorsync-sandbox-secret"
DEMO_REFRESH_TOKEN = "Atzr|vendorsync-sandbox"
DEMO_CREDENTIALS = Credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)


class LwaAuth(SimulatorCore):
    def add_credentials(self, credentials: Credentials) -> None:
        with self.store.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?)",
                (credentials.client_id, credentials.client_secret, credentials.refresh_token),
            )

    def lwa_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """LWA ``POST /auth/o2/token`` (refresh_token grant) with LWA's OAuth error shapes."""
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"Unsupported grant: {grant}",
            }
        for name in ("refresh_token", "client_id", "client_secret"):
            if not form.get(name):
                return 400, {
                    "error": "invalid_request",
                    "error_description": f"The request is missing a required parameter : {name}",
                }
        with self.store.tx() as db:
            row = db.execute("SELECT * FROM credentials WHERE client_id = ?", (form["client_id"],)).fetchone()
            if row is None or not secrets.compare_digest(row["client_secret"], form["client_secret"]):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            if not secrets.compare_digest(row["refresh_token"], form["refresh_token"]):
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : refresh_token",
                }
            token = "Atza|" + secrets.token_urlsafe(48)
            expires = self.now() + timedelta(seconds=self.token_ttl_seconds)
            db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token, form["client_id"], iso(expires)))
        return 200, {
            "access_token": token,
            "refresh_token": form["refresh_token"],
            "token_type": "bearer",
            "expires_in": max(1, int(self.token_ttl_seconds)),
        }

    def token_problem(self, token: str | None) -> str | None:
        """None when ``token`` is a live access token, else why it is refused."""
        if not token:
            return "The request is missing the x-amz-access-token header."
        with self.store.tx() as db:
            row = db.execute("SELECT expires_at FROM tokens WHERE token = ?", (token,)).fetchone()
        if row is None:
            return "The access token you provided is revoked, malformed or invalid."
        if parse_time(row["expires_at"]) <= self.now():
            return "The access token you provided has expired."
        return None
