"""`make bench`: run every benchmark and print one `name: value unit` line per figure."""
import importlib
import logging
import sys

logging.disable(logging.WARNING)


def report(name: str, value, unit: str) -> None:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown} {unit}", flush=True)


def main() -> int:
    wanted = sys.argv[1:] or ["board", "move", "login", "ingest"]
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
