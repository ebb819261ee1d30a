"""The `rq cron` configuration: one tick every few seconds enqueues the feed sources that are due.

A single periodic job reads the feed_source table on every tick, so sources added, changed,
enabled or disabled on the admin page take effect without restarting anything.
"""
import os

from rq import cron

from mcu.jobs import schedule_polls
from mcu.queue import QUEUE_NAME

TICK_SECONDS = int(os.environ.get("MCU_SCHEDULER_TICK_SECONDS", "5"))

# a tick left waiting behind a slow poll is dropped (ttl) rather than piling up
cron.register(schedule_polls, QUEUE_NAME, interval=TICK_SECONDS, job_timeout=60, result_ttl=60,
              ttl=max(3 * TICK_SECONDS, 15), failure_ttl=3600)

# deadlines (issue 13): the deadline sweep (urgency, escalation ladder, notifications) and Telegram chat links
from mcu.config import Defaults
from mcu.jobs import link_telegram_chats, sweep_deadlines

SWEEP_SECONDS = int(os.environ.get("MCU_DEADLINE_SWEEP_SECONDS", Defaults.DEADLINE_SWEEP_SECONDS))
TELEGRAM_SECONDS = int(os.environ.get("MCU_TELEGRAM_POLL_SECONDS", Defaults.TELEGRAM_POLL_SECONDS))
cron.register(sweep_deadlines, QUEUE_NAME, interval=SWEEP_SECONDS, job_timeout=600, result_ttl=300,
              ttl=max(3 * SWEEP_SECONDS, 60), failure_ttl=3600)
cron.register(link_telegram_chats, QUEUE_NAME, interval=TELEGRAM_SECONDS, job_timeout=60, result_ttl=60,
              ttl=max(3 * TELEGRAM_SECONDS, 30), failure_ttl=3600)
