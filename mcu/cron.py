"""The `rq cron` configuration: the feed scheduler's tick, the deadline sweep and the Telegram link reader.

A single periodic job reads the feed_source table on every tick (every SCHEDULER_TICK_SECONDS), so sources
added, changed, enabled or disabled on the admin page take effect without restarting anything. The deadline
sweep (urgency, the escalation ladder, notifications: docs/notifications.md) runs every DEADLINE_SWEEP_SECONDS,
the Telegram link reader every TELEGRAM_POLL_SECONDS. The settings come from `config.read()` (no app needed).
"""
from rq import cron

from mcu import config
from mcu.jobs import link_telegram_chats, schedule_polls, sweep_deadlines
from mcu.queue import QUEUE_NAME

SETTINGS = config.read()
TICK_SECONDS = SETTINGS["SCHEDULER_TICK_SECONDS"]
SWEEP_SECONDS = SETTINGS["DEADLINE_SWEEP_SECONDS"]
TELEGRAM_SECONDS = SETTINGS["TELEGRAM_POLL_SECONDS"]

# a tick left waiting behind busy workers is dropped (ttl) rather than piling up: the next one does its work
cron.register(schedule_polls, QUEUE_NAME, interval=TICK_SECONDS, job_timeout=60, result_ttl=60,
              ttl=max(3 * TICK_SECONDS, 15), failure_ttl=3600)
cron.register(sweep_deadlines, QUEUE_NAME, interval=SWEEP_SECONDS, job_timeout=600, result_ttl=300,
              ttl=max(3 * SWEEP_SECONDS, 60), failure_ttl=3600)
cron.register(link_telegram_chats, QUEUE_NAME, interval=TELEGRAM_SECONDS, job_timeout=60, result_ttl=60,
              ttl=max(3 * TELEGRAM_SECONDS, 30), failure_ttl=3600)
