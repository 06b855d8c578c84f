"""How a delivery leaves: a webhook POST, or a message through the configured SMTP server.
Each network operation is bounded by SEND_TIMEOUT_SECONDS; any failure is an exception."""
from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

SEND_TIMEOUT_SECONDS = 15  # per network operation of one send; a claim covers one send only


def post_webhook(url: str, delivery_id: str, payload: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "X-Newswatch-Delivery": delivery_id,
                                                             "User-Agent": "newswatch-alerts"})
    with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise RuntimeError(f"HTTP {response.status}")


class SmtpMailer:
    """NEWSWATCH_SMTP_URL (`smtp://[user:pass@]host:port`) and NEWSWATCH_MAIL_FROM."""

    def __init__(self, smtp_url: str | None, mail_from: str | None):
        self.smtp_url, self.mail_from = smtp_url, mail_from

    def check(self) -> None:
        if not self.smtp_url or not self.mail_from:
            raise RuntimeError("e-mail needs NEWSWATCH_SMTP_URL and NEWSWATCH_MAIL_FROM")

    def send(self, message: EmailMessage) -> None:
        self.check()
        parts = urlsplit(self.smtp_url)
        with smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SEND_TIMEOUT_SECONDS) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
