"""Deadlines in working hours of the city's calendar (ЦУР practice; the numbers are settings)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULTS = {
    "FIRST_ANSWER_HOURS": 9,
    "URGENT_FIRST_ANSWER_HOURS": 4,
    "RESOLVE_AFTER_INTERIM_DAYS": 7,
    "WORKDAY_START": 9,
    "WORKDAY_END": 18,
    "HOLIDAYS": (),  # ISO dates of the city's non-working days
}


def _is_workday(day: date, holidays: set) -> bool:
    return day.weekday() < 5 and day.isoformat() not in holidays


def add_working_hours(start: datetime, hours: float, tz: ZoneInfo, day_start: int = 9, day_end: int = 18,
                      holidays=()) -> datetime:
    """The moment `hours` working hours after `start`, counting only working time in the city's zone."""
    holidays = set(holidays)
    local = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    while True:
        day = local.date()
        opens = datetime.combine(day, time(day_start), tz)
        closes = datetime.combine(day, time(day_end), tz)
        if not _is_workday(day, holidays) or local >= closes:
            local = datetime.combine(day + timedelta(days=1), time(day_start), tz)
            continue
        local = max(local, opens)
        available = closes - local
        if remaining <= available:
            return (local + remaining).astimezone(start.tzinfo)
        remaining -= available
        local = datetime.combine(day + timedelta(days=1), time(day_start), tz)


def add_working_days(start: datetime, days: int, tz: ZoneInfo, holidays=()) -> datetime:
    """The same wall-clock time `days` working days later."""
    holidays = set(holidays)
    local = start.astimezone(tz)
    while days > 0:
        local += timedelta(days=1)
        if _is_workday(local.date(), holidays):
            days -= 1
    return local.astimezone(start.tzinfo)


def first_answer_due(received: datetime, urgent: bool, cfg, tz: ZoneInfo) -> datetime:
    """When the first public answer is due."""
    hours = cfg.get("URGENT_FIRST_ANSWER_HOURS", 4) if urgent else cfg.get("FIRST_ANSWER_HOURS", 9)
    return add_working_hours(received, hours, tz, cfg.get("WORKDAY_START", 9), cfg.get("WORKDAY_END", 18),
                             cfg.get("HOLIDAYS", ()))


def resolve_due_after_interim(interim_at: datetime, cfg, tz: ZoneInfo) -> datetime:
    """An interim answer moves the final deadline to this many working days later."""
    return add_working_days(interim_at, cfg.get("RESOLVE_AFTER_INTERIM_DAYS", 7), tz, cfg.get("HOLIDAYS", ()))
