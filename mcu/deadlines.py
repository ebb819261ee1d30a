"""Deadlines in the city's working time (ЦУР practice; the numbers are settings, the calendar is
mcu/work_calendar.py)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .work_calendar import from_settings


def first_answer_due(received: datetime, urgent: bool, cfg, tz: ZoneInfo) -> datetime:
    """When the first public answer is due."""
    hours = cfg["URGENT_FIRST_ANSWER_HOURS"] if urgent else cfg["FIRST_ANSWER_HOURS"]
    return from_settings(cfg, tz).add_working_time(received, timedelta(hours=hours))


def first_answer_deadlines(cfg, tz: ZoneInfo):
    """`first_answer_due` with the settings read once, for a batch: a function of (received, urgent)."""
    add = from_settings(cfg, tz).add_working_time
    normal, urgent = timedelta(hours=cfg["FIRST_ANSWER_HOURS"]), timedelta(hours=cfg["URGENT_FIRST_ANSWER_HOURS"])
    return lambda received, is_urgent: add(received, urgent if is_urgent else normal)


def resolve_due_after_interim(interim_at: datetime, cfg, tz: ZoneInfo) -> datetime:
    """An interim answer moves the final deadline to this many working days later."""
    return from_settings(cfg, tz).add_working_days(interim_at, cfg["RESOLVE_AFTER_INTERIM_DAYS"])
