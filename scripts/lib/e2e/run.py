"""dpc's end-to-end test: an assembly (the case study, synthesized with --bundle)
deployed into moto, patched (moto_patches.py), and run through the scenarios.

Usage: run.py ASSEMBLY. Prints `e2e: NAME: ok` or what differed for each scenario;
exits 1 when any differed.
"""

from __future__ import annotations

import sys
import time

import deploy
import moto_patches
import scenarios
from emulator import Emulator
from deployment import Platform


def show_lambda_logs(last: int = 4) -> None:
    """The last invocations' output, which is where a failed handler says why."""
    for name, logs in moto_patches.LAMBDA_LOGS[-last:]:
        print(f"  --- {name}:")
        for line in logs.strip().splitlines()[-6:]:
            print(f"  | {line[:1500]}")


def main(folder: str) -> int:
    started = time.time()
    failed = 0
    with Emulator() as emulator:
        platform = Platform(emulator.endpoint, folder)
        try:
            try:
                platform.deploy_all()
            except deploy.DeployError as e:
                print(f"e2e: deployed: {e}")
                show_lambda_logs()
                return 1
            for name, scenario in scenarios.SCENARIOS:
                try:
                    differed = scenario(platform)
                except Exception as e:  # a scenario that crashes has failed, saying how
                    differed = f"{type(e).__name__}: {e}"
                if differed:
                    failed += 1
                    print(f"e2e: {name}: {differed}")
                    show_lambda_logs()
                else:
                    print(f"e2e: {name}: ok")
        finally:
            platform.close()
    print(f"e2e: {len(scenarios.SCENARIOS) - failed} of {len(scenarios.SCENARIOS)} scenarios ok in {time.time() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: run.py ASSEMBLY")
    sys.exit(main(sys.argv[1]))
