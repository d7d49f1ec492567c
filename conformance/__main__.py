"""python -m conformance [--seed N ...] [--steps N] [--quick] [--report PATH]"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

from . import departures, report
from .engine import Comparison, Pair, Step, project_id
from .scenarios import CATALOGUE
from .scenarios_backends import BACKENDS_CATALOGUE
from .scenarios_groups import GROUPS_CATALOGUE
from .scenarios_growth import GROWTH_CATALOGUE
from .scenarios_image_activation import IMAGE_ACTIVATION_CATALOGUE
from .scenarios_images import IMAGES_CATALOGUE
from .scenarios_indexes import INDEXES_CATALOGUE
from .scenarios_keepalive import KEEPALIVE_CATALOGUE
from .scenarios_migration import MIGRATION_CATALOGUE
from .scenarios_nova import NOVA_CATALOGUE
from .scenarios_policy import POLICY_CATALOGUE
from .scenarios_routing import ROUTING_CATALOGUE
from .scenarios_server_volumes import SERVER_VOLUME_CATALOGUE
from .scenarios_transitions import TRANSITIONS_CATALOGUE
from .scenarios_types import TYPES_CATALOGUE
from .scenarios_volfeat import VOLFEAT_CATALOGUE
from .servers import ROOT, start_cinder, start_fake, work_directory
from .walk import Walk

CINDER_VERSION = "29.0.0"


def setup(pair: Pair) -> dict[str, str]:
    """Objects every scenario may name: the multiattach volume type (not compared)."""
    contexts = pair.contexts(project_id("setup"), project_id("setup/other"))
    step = Step("POST", "/v3/{project}/types", caller="admin", save="type:multiattach",
                body={"volume_type": {"name": "multiattach",
                                      "extra_specs": {"multiattach": "<is> True"}}})
    pair.step("setup", "setup", step, contexts)
    for ctx in contexts:
        if "type:multiattach" not in ctx.ids:
            raise RuntimeError(f"{ctx.server.name}: could not create the multiattach type")
    return contexts[0].ids, contexts[1].ids


def run_scenarios(pair: Pair, shared: tuple[dict, dict], only: str | None
                  ) -> tuple[list[Comparison], int]:
    results: list[Comparison] = []
    count = 0
    for scenario in (CATALOGUE + NOVA_CATALOGUE + ROUTING_CATALOGUE + VOLFEAT_CATALOGUE
                     + BACKENDS_CATALOGUE + IMAGES_CATALOGUE + SERVER_VOLUME_CATALOGUE
                     + TYPES_CATALOGUE + TRANSITIONS_CATALOGUE + GROWTH_CATALOGUE
                     + INDEXES_CATALOGUE
                     + POLICY_CATALOGUE + GROUPS_CATALOGUE
                     + MIGRATION_CATALOGUE + IMAGE_ACTIVATION_CATALOGUE
                     + KEEPALIVE_CATALOGUE):
        if only and only not in scenario.name:
            continue
        count += 1
        project = scenario.project or project_id(scenario.name)
        contexts = pair.contexts(project, project_id(scenario.name + "/other"))
        for ctx, ids in zip(contexts, shared, strict=True):
            ctx.ids.update(ids)
        for label, volume_type in scenario.volumes.items():
            pair.create_volume(contexts, label, volume_type)
        for step in scenario.steps:
            results += pair.step("scenario", scenario.name, step, contexts)
    return results, count


def run_walk(pair: Pair, shared: tuple[dict, dict], seed: int, steps: int,
             progress: bool) -> list[Comparison]:
    contexts = pair.contexts(project_id(f"walk-{seed}"), project_id(f"walk-{seed}/other"))
    for ctx, ids in zip(contexts, shared, strict=True):
        ctx.ids.update(ids)
    results: list[Comparison] = []
    started = time.monotonic()
    for index, step in enumerate(Walk(seed).steps(steps), 1):
        for comparison in pair.step("walk", step.name, step, contexts):
            comparison.request = f"seed {seed} step {index}: {comparison.request}"
            results.append(comparison)
        if progress and index % 250 == 0:
            print(f"  walk seed {seed}: {index}/{steps} steps, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance")
    parser.add_argument("--seed", type=int, action="append",
                        help="walk seed (repeat for several walks; default: a random one)")
    parser.add_argument("--steps", type=int, default=2000, help="walk steps per seed")
    parser.add_argument("--quick", action="store_true", help="CI: 300 steps, no report")
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "conformance.md")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every difference")
    parser.add_argument("--fake-source", type=Path,
                        help="run the fake_cinder of another checkout (e.g. an older commit)")
    args = parser.parse_args(argv)
    seeds = args.seed or [random.SystemRandom().randrange(1, 10**6)]
    steps = 300 if args.quick and args.steps == 2000 else args.steps
    seed_text = " ".join(map(str, seeds))
    command = "make conformance" + (
        f' SEED="{seed_text}" STEPS={steps}' if not args.quick else "-quick")
    print(f"conformance: seeds {seeds}, {steps} walk steps each", flush=True)

    work = work_directory()
    cinder = fake = None
    try:
        print(f"conformance: starting Cinder 29.0.0 and fake-cinder (logs in {work})...",
              flush=True)
        # The fake first: its Glance (/image) is the image service of both servers.
        fake = start_fake(work, args.fake_source)
        cinder = start_cinder(work, glance=f"{fake.base_url}/image")
        pair = Pair(cinder, fake)
        shared = setup(pair)
        started = time.monotonic()
        comparisons, scenario_count = run_scenarios(pair, shared, args.only)
        print(f"conformance: {scenario_count} scenarios, {len(comparisons)} comparisons, "
              f"{time.monotonic() - started:.0f} s", flush=True)
        runs = []
        for seed in seeds:
            if args.only or steps <= 0:
                break
            started = time.monotonic()
            walked = run_walk(pair, shared, seed, steps, progress=True)
            comparisons += walked
            runs.append({"seed": seed, "steps": steps})
            print(f"conformance: walk seed {seed}: {steps} steps, {len(walked)} comparisons, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    finally:
        for server in (fake, cinder):
            if server is not None:
                server.stop()
    for comparison in comparisons:
        departures.classify(comparison)
    unexpected = [c for c in comparisons if c.unexpected]
    allowed = sum(bool(c.allowed) for c in comparisons)
    for comparison in unexpected[: None if args.verbose else 40]:
        print(f"DIFFERENCE {comparison.kind} [{comparison.name}] {comparison.request}")
        for difference in comparison.unexpected:
            print(f"    {difference.where}: cinder={difference.cinder!r} "
                  f"fake={difference.fake!r}"[:600])
    if not args.no_report and not args.only:
        report.write(args.report, comparisons, cinder_version=CINDER_VERSION, runs=runs,
                     command=command, scenario_count=scenario_count)
        print(f"conformance: report written to {args.report.relative_to(ROOT)}")
    print(f"conformance: seeds {seeds}: {len(comparisons)} comparisons, "
          f"{allowed} with allowlisted departures, {len(unexpected)} differences "
          "outside the allowlist", flush=True)
    if unexpected:
        print(f"conformance: FAILED (server logs kept in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
