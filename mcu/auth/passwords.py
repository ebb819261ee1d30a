"""Password hashing with the library's scrypt, and a check that costs the same whether or not the login exists."""
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User

_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


def hash_password(password: str) -> str:
    """An scrypt hash for storing."""
    return generate_password_hash(password, method="scrypt")


def authenticate(login: str, password: str) -> User | None:
    """The active user with this login and password, or None; always exactly one hash computed."""
    user = db.session.execute(db.select(User).filter_by(login=login.strip().lower())).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user and ok and user.active:
        return user
    return None
