"""The login check: how many password hashes one sign-in attempt costs (right, wrong password, unknown login)."""
from unittest import mock

from mcu.auth import passwords

from .data import make_app


def _hashes(client, login: str, password: str) -> int:
    with mock.patch.object(passwords, "check_password_hash", wraps=passwords.check_password_hash) as check, \
            mock.patch.object(passwords, "generate_password_hash", wraps=passwords.generate_password_hash) as make:
        client.post("/login", data={"login": login, "password": password})
        return check.call_count + make.call_count


def run(report) -> None:
    app = make_app()
    report("login_hashes_right_password", _hashes(app.test_client(), "operator", "demo"), "hashes")
    report("login_hashes_wrong_password", _hashes(app.test_client(), "operator", "wrong"), "hashes")
    report("login_hashes_unknown_login", _hashes(app.test_client(), "nobody", "wrong"), "hashes")
