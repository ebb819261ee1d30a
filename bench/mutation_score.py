"""`python -m bench.mutation_score`: the score of the last `make mutate`, per module and in all, from mutmut's
own result files (mutants/**/*.py.meta), one `name: value unit` line each, then the surviving mutants' names."""
import json
import sys
from pathlib import Path

# mutmut 3's exit codes (mutmut/stats.py): 1 and 3 kill, 36/24/-24 are timeouts (a kill), 0 survives
KILLED = {1, 3, 36, 24, -24, 37}
NOT_TESTED = {None, 5, 33, 34, 2}


def main() -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("# no mutmut results: run `make mutate` first", flush=True)
        return 1
    total_killed = total_tested = 0
    survivors = []
    for meta in metas:
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        tested = {name: code for name, code in codes.items() if code not in NOT_TESTED}
        if not tested:
            continue
        killed = sum(1 for code in tested.values() if code in KILLED)
        module = str(meta.relative_to("mutants")).removesuffix(".meta")
        print(f"mutation_score_{module.replace('/', '.').removesuffix('.py')}: {100 * killed / len(tested):.1f} % "
              f"({killed} of {len(tested)})")
        total_killed += killed
        total_tested += len(tested)
        survivors += [name for name, code in tested.items() if code not in KILLED]
    print(f"mutation_score: {100 * total_killed / max(total_tested, 1):.1f} % ({total_killed} of {total_tested})")
    for name in sorted(survivors):
        print(f"# survived: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
