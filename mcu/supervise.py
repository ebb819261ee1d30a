"""Keep the queue's processes running under honcho: `python -m mcu.supervise redis|worker|cron`.

honcho stops every process of the Procfile when one exits, so a queue line must never exit: this supervisor
runs its child(ren) (`flask jobs ...`, WORKER_COUNT of them for `worker`), each in a session of its own, and
when one ends it kills what is left of its process group (RQ's scheduler) and of its orphans (a work-horse,
reparented here because this process is their subreaper), then starts it again after 1, 2, 4 … seconds, up
to SUPERVISOR_BACKOFF_MAX_SECONDS, back to 1 s after a run of SUPERVISOR_STABLE_SECONDS. SIGTERM or SIGINT
(honcho stopping) is passed on to every child's group; whatever has not ended after STOP_GRACE is killed.
"""
import ctypes
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass

from . import config

log = logging.getLogger("mcu.supervise")

STOP_GRACE = 3.0  # seconds a child has to end after SIGTERM; honcho itself waits 5 before its SIGKILL
STEP = 0.2
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
COMMANDS = {"redis": ["jobs", "redis"], "worker": ["jobs", "worker"], "cron": ["jobs", "cron"]}


@dataclass
class Child:
    """One supervised process: its command, its pid (and process group) while it runs, its restart plan."""

    name: str
    argv: list[str]
    pid: int = 0
    started: float = 0.0
    backoff: float = 0.0
    restart_at: float = 0.0

    def start(self) -> None:
        self.pid = os.posix_spawn(self.argv[0], self.argv, os.environ, setsid=True)
        self.started = time.monotonic()
        log.info("%s: started, pid %d", self.name, self.pid)


def kill_group(pid: int, sig: int) -> None:
    """Signal a child's whole process group (its session): the child and everything it forked there."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def adopted() -> list[int]:
    """Processes reparented to this one (Linux): orphans of a dead child, such as a work-horse."""
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task") if os.path.isdir("/proc") else []:
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return pids


class Supervisor:
    """Runs the children, restarts each one that ends, and stops them all when asked."""

    def __init__(self, children: list[Child], backoff_max: float, stable_after: float):
        self.children, self.backoff_max, self.stable_after = children, backoff_max, stable_after
        self.stopping = False

    def request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; returns the exit status for the Procfile line (0)."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
        except (OSError, AttributeError):  # not Linux: orphans go to init
            pass
        for child in self.children:
            child.start()
        while not self.stopping:
            self.reap()
            moment = time.monotonic()
            for child in self.children:
                if not child.pid and moment >= child.restart_at and not self.stopping:
                    child.start()
            time.sleep(STEP)
        self.stop()
        return 0

    def reap(self) -> None:
        """Collect every ended process; plan the restart of each ended child."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = next((c for c in self.children if c.pid == pid), None)
            if child is None:
                continue  # an adopted orphan, killed below, now gone
            self.ended(child, os.waitstatus_to_exitcode(status))

    def ended(self, child: Child, code: int) -> None:
        ran = time.monotonic() - child.started
        if self.stopping:
            child.pid = 0
            log.info("%s: stopped (status %s)", child.name, code)
            return
        kill_group(child.pid, signal.SIGKILL)  # what it left in its group (RQ's scheduler process)
        for orphan in adopted():
            if orphan not in {c.pid for c in self.children}:
                log.warning("%s: killing orphan %d", child.name, orphan)
                try:
                    os.kill(orphan, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        child.pid = 0
        child.backoff = 1.0 if ran >= self.stable_after or not child.backoff else min(
            child.backoff * 2, self.backoff_max)
        child.restart_at = time.monotonic() + child.backoff
        log.warning("%s: ended (status %s) after %.1f s; restarting in %.0f s", child.name, code, ran, child.backoff)

    def stop(self) -> None:
        """Pass the stop on to every child's group, wait a little, kill what is left."""
        running = [c for c in self.children if c.pid]
        for child in running:
            kill_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while any(c.pid for c in running) and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for child in running:
            if child.pid:
                kill_group(child.pid, signal.SIGKILL)
        for orphan in adopted():
            try:
                os.kill(orphan, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.reap()


def children_for(name: str, settings) -> list[Child]:
    """The processes of one Procfile line: `flask --app mcu jobs NAME`, WORKER_COUNT times for workers."""
    count = settings["WORKER_COUNT"] if name == "worker" else 1
    return [Child(f"{name}.{n}" if count > 1 else name, [sys.executable, "-m", "flask", "--app", "mcu", *COMMANDS[name]])
            for n in range(1, count + 1)]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m mcu.supervise {'|'.join(COMMANDS)}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = config.read()
    return Supervisor(children_for(argv[0], settings), settings["SUPERVISOR_BACKOFF_MAX_SECONDS"],
                      settings["SUPERVISOR_STABLE_SECONDS"]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
