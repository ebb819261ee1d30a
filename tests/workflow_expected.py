"""The workflow as ../shared/DESIGN.md draws it, written out by hand for the tests that check mcu/workflow.py
(never read from the table under test)."""

STATUSES = ["new", "in_progress", "interim", "returned", "answered", "resolved", "rejected"]
ON_BOARD = {"new", "in_progress", "interim", "returned", "answered", "resolved"}
# The workflow as DESIGN.md draws it, written out by hand (never read from mcu.workflow, which it checks).
LEGAL = {
    ("new", "in_progress"), ("new", "interim"), ("new", "answered"), ("new", "rejected"),
    ("in_progress", "new"), ("in_progress", "interim"), ("in_progress", "answered"), ("in_progress", "rejected"),
    ("interim", "in_progress"), ("interim", "answered"), ("interim", "rejected"),
    ("returned", "in_progress"), ("returned", "interim"), ("returned", "answered"),
    ("answered", "returned"), ("answered", "resolved"),
    ("resolved", "returned"),
    ("rejected", "new"),
}
NEEDS_ANSWER = {"interim", "answered"}  # moving here asks for the public answer
NEEDS_REASON = {"returned", "rejected"}  # moving here asks for a reason
