"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from mcu import create_app

app = create_app()
