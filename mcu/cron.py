"""The `rq cron` configuration: one tick every SCHEDULER_TICK_SECONDS enqueues the feed sources that are due.

A single periodic job reads the feed_source table on every tick, so sources added, changed,
enabled or disabled on the admin page take effect without restarting anything.
"""
from rq import cron

from mcu import config
from mcu.jobs import schedule_polls
from mcu.queue import QUEUE_NAME

TICK_SECONDS = config.read()["SCHEDULER_TICK_SECONDS"]

# a tick left waiting behind busy workers is dropped (ttl) rather than piling up: the next one does its work
cron.register(schedule_polls, QUEUE_NAME, interval=TICK_SECONDS, job_timeout=60, result_ttl=60,
              ttl=max(3 * TICK_SECONDS, 15), failure_ttl=3600)
