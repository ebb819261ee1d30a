"""The two ways out: e-mail over SMTP (the standard library) and the Telegram Bot API (one HTTP call each, with
``requests``). Both take their settings as arguments and raise ``DeliveryError`` with a message for the page."""
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import requests


class DeliveryError(Exception):
    """A message could not be handed over; the text is shown on the «Уведомления» page."""


def send_email(cfg, to: str, subject: str, text: str) -> None:
    """One plain-text e-mail through the SMTP server of the settings (SMTP_TLS: none, starttls or ssl)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg["SMTP_FROM"], to, subject
    message["Message-ID"] = make_msgid(domain=cfg["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(text)
    kind = smtplib.SMTP_SSL if cfg["SMTP_TLS"] == "ssl" else smtplib.SMTP
    try:
        with kind(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["NOTIFY_TIMEOUT_SECONDS"]) as smtp:
            if cfg["SMTP_TLS"] == "starttls":
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}"[:500]) from exc


def bot_call(cfg, method: str, payload: dict) -> dict:
    """One Bot API method (POST, JSON); its ``result``, or DeliveryError with Telegram's own description."""
    url = f"{cfg['TELEGRAM_API_URL'].rstrip('/')}/bot{cfg['TELEGRAM_BOT_TOKEN']}/{method}"
    try:
        response = requests.post(url, json=payload, timeout=cfg["NOTIFY_TIMEOUT_SECONDS"])
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DeliveryError(f"Telegram: {type(exc).__name__}") from exc  # the URL holds the token: never shown
    if not answer.get("ok"):
        raise DeliveryError(f"Telegram {response.status_code}: {answer.get('description', '')}"[:500])
    return answer.get("result")


def send_telegram(cfg, chat_id: str, text: str) -> None:
    """One message to a linked chat."""
    bot_call(cfg, "sendMessage", {"chat_id": chat_id, "text": text, "disable_web_page_preview": True})
