"""The reference for the idle poll's cost: a Flask hello-world, served by the same gunicorn settings."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return ""
