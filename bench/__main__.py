"""`make bench`: run every benchmark and print one `name: value unit` line per figure."""
import importlib
import logging
import subprocess
import sys

logging.disable(logging.WARNING)


def report(name: str, value, unit: str) -> None:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown} {unit}", flush=True)


def main() -> int:
    # not in the default run: `python -m bench wall` is the wall's soak, an hour by default (bench/wall.py)
    wanted = sys.argv[1:] or ["board", "board250k", "move", "login", "ingest", "deadlines", "imports", "reports",
                              "photos", "search", "live", "bulk"]
    if len(wanted) > 1:  # each part in a fresh process: no part measures another's heap, caches or files
        failed = 0
        for name in wanted:
            failed |= subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode
        return failed
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"# bench.{name} not present, skipped", flush=True)
                continue
            raise
        module.run(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
