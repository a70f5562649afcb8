"""dpc's end-to-end test: an assembly (the case study, synthesized with --bundle)
deployed into moto, patched (moto_patches.py), and run through the scenarios.

Usage: run.py ASSEMBLY        prints `e2e: NAME: ok` or what differed for each
                              scenario; exits 1 when any differed
       run.py --self-test ASSEMBLY   breaks copies of the assembly (mutations.py) and
                              checks that each break fails the scenario it must, and
                              only that one
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


def main(folder: str, quiet: bool = False) -> dict[str, str | None]:
    """Deploys `folder` and runs every scenario; what differed, per scenario."""
    results: dict[str, str | None] = {}
    with Emulator() as emulator:
        platform = Platform(emulator.endpoint, folder)
        try:
            try:
                platform.deploy_all()
            except deploy.DeployError as e:
                # Nothing else can run on a platform that is not there.
                results = {name: f"not deployed: {e}" for name, _ in scenarios.SCENARIOS}
                if not quiet:
                    print(f"e2e: deployed: {e}")
                    show_lambda_logs()
                return results
            for name, scenario in scenarios.SCENARIOS:
                try:
                    differed = scenario(platform)
                except Exception as e:  # a scenario that crashes has failed, saying how
                    differed = f"{type(e).__name__}: {e}"
                results[name] = differed
                if not quiet:
                    print(f"e2e: {name}: {differed or 'ok'}")
                    if differed:
                        show_lambda_logs()
        finally:
            platform.close()
    return results


def self_test(folder: str) -> int:
    import tempfile

    import mutations

    bad = 0
    with tempfile.TemporaryDirectory(prefix="dpc-e2e-mutants-") as into:
        for mutation, must_fail in mutations.MUTATIONS:
            results = main(mutations.broken_copy(folder, mutation, into), quiet=True)
            failing = sorted(name for name, differed in results.items() if differed)
            # The break must fail its scenario; a break after deployment must not fail
            # the deployment (a scenario that depends on it may fail with it).
            caught = must_fail in failing and (must_fail == "deployed" or "deployed" not in failing)
            if caught:
                print(f"e2e self-test: {mutation.__name__}: caught by `{must_fail}` ({results[must_fail]})")
            else:
                bad += 1
                print(f"e2e self-test: {mutation.__name__}: NOT caught: expected `{must_fail}` to fail, failing: {failing}")
    return 1 if bad else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    started = time.time()
    if len(args) == 2 and args[0] == "--self-test":
        code = self_test(args[1])
    elif len(args) == 1 and not args[0].startswith("-"):
        results = main(args[0])
        ok = sum(1 for name, _ in scenarios.SCENARIOS if name in results and not results[name])
        print(f"e2e: {ok} of {len(scenarios.SCENARIOS)} scenarios ok in {time.time() - started:.1f} s")
        code = 0 if ok == len(scenarios.SCENARIOS) else 1
    else:
        sys.exit("usage: run.py ASSEMBLY | run.py --self-test ASSEMBLY")
    sys.exit(code)
