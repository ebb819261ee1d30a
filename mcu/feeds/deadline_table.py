"""First-answer deadlines for a whole batch at once: the same result as mcu.deadlines.first_answer_due,
computed by bisecting a table of the city's working intervals instead of walking the calendar per record."""
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, time, timedelta

from ..deadlines import first_answer_due

MARGIN_DAYS = 40  # enough working time after the newest record, past any run of holidays


class DeadlineTable:
    """Working intervals (UTC) with the working time accumulated before each, over the batch's dates."""

    def __init__(self, received: list[datetime], cfg, tz):
        self.cfg, self.tz = cfg, tz
        self.hours = timedelta(hours=cfg.get("FIRST_ANSWER_HOURS", 9))
        self.urgent_hours = timedelta(hours=cfg.get("URGENT_FIRST_ANSWER_HOURS", 4))
        holidays = set(cfg.get("HOLIDAYS", ()))
        start_h, end_h = cfg.get("WORKDAY_START", 9), cfg.get("WORKDAY_END", 18)
        self.opens, self.closes, self.before, self.after = [], [], [], []
        if not received:
            return
        day = min(received).astimezone(tz).date() - timedelta(days=1)
        last = max(received).astimezone(tz).date() + timedelta(days=MARGIN_DAYS)
        total = timedelta(0)
        while day <= last:
            if day.weekday() < 5 and day.isoformat() not in holidays:
                opens = datetime.combine(day, time(start_h), tz).astimezone(UTC)
                closes = datetime.combine(day, time(end_h), tz).astimezone(UTC)
                if closes > opens:
                    self.opens.append(opens)
                    self.closes.append(closes)
                    self.before.append(total)
                    total += closes - opens
                    self.after.append(total)
            day += timedelta(days=1)

    def due(self, received: datetime, urgent: bool) -> datetime:
        """When the first public answer is due for a message received at `received`."""
        hours = self.urgent_hours if urgent else self.hours
        i = bisect_right(self.opens, received) - 1  # the last interval opening at or before `received`
        if i >= 0 and received < self.closes[i]:
            worked = self.before[i] + (received - self.opens[i])
        elif i + 1 < len(self.opens):
            worked = self.before[i + 1]
        else:
            return first_answer_due(received, urgent, self.cfg, self.tz)
        target = worked + hours
        j = bisect_left(self.after, target)
        if j >= len(self.after):
            return first_answer_due(received, urgent, self.cfg, self.tz)
        return (self.opens[j] + (target - self.before[j])).astimezone(received.tzinfo)
