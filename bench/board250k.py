"""`python -m bench board250k`: the city board with 250,000 open cards (issue «Hold under faults», item 2)."""
from .board import run_250k as run  # noqa: F401
