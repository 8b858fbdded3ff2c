"""PPO baseline for ``hylo bench control``: environment steps to reach a return threshold.

Trains stable-baselines3's PPO with its default hyperparameters (``PPO("MlpPolicy",
env)``) on each classic-control environment, and every ``--eval-every`` training
steps evaluates the deterministic policy on ``--eval-episodes`` fresh seeds. The
figure is the number of *training* environment steps at the first evaluation
whose mean return reaches the threshold, confirmed on 100 more fresh seeds
(CartPole-v1 475, Acrobot-v1 -100, MountainCar-v0 -110, Pendulum-v1 -200), or
"not reached" within ``--budget``.
Evaluation episodes are not counted, exactly as hylo's final 100-seed
evaluation is not counted in its steps.

    python benchmarks/control_ppo.py                              # CartPole-v1, 3 PPO seeds
    python benchmarks/control_ppo.py --env Acrobot-v1 --seeds 1 --budget 200000
    python benchmarks/control_ppo.py --hylo results/control.json  # side by side with hylo

``--hylo`` reads the JSON of ``hylo bench control --json OUT`` and prints the
ratio of PPO's steps to hylo's. stable-baselines3 is a baseline only, not a
dependency of hylo: ``pip install stable-baselines3``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

THRESHOLDS = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0, "MountainCar-v0": -110.0}
THRESHOLDS["Pendulum-v1"] = -200.0
RESULTS = Path(__file__).resolve().parent.parent / "results"
# Evaluation seeds start here: far from the seeds PPO trains on (0, 1, 2, …).
EVAL_SEED_BASE = 1_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", choices=sorted(THRESHOLDS), default=None)
    parser.add_argument("--seeds", type=int, default=3, help="PPO runs per environment (3)")
    parser.add_argument("--budget", type=int, default=200_000, help="training steps at most")
    parser.add_argument("--eval-every", type=int, default=2048, help="steps between evaluations")
    parser.add_argument("--eval-episodes", type=int, default=20, help="episodes per evaluation")
    parser.add_argument("--hylo", type=Path, default=None, help="hylo bench control JSON")
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    return parser.parse_args()


def evaluate(model: Any, env_name: str, episodes: int, seed_base: int) -> float:
    """Mean return of the deterministic policy over ``episodes`` fresh seeds."""
    import gymnasium as gym

    env = gym.make(env_name)
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed_base + i)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def run_ppo(env_name: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Train PPO until an evaluation reaches the threshold or the budget is spent."""
    from stable_baselines3 import PPO

    threshold = THRESHOLDS[env_name]
    model = PPO("MlpPolicy", env_name, seed=seed, device="cpu", verbose=0)
    start, steps, last = time.perf_counter(), 0, -np.inf
    while steps < args.budget:
        model.learn(args.eval_every, reset_num_timesteps=False)
        steps = int(model.num_timesteps)
        last = evaluate(model, env_name, args.eval_episodes, EVAL_SEED_BASE + 1000 * seed)
        print(f"  {env_name} seed {seed}: {steps:>7} steps, mean return {last:8.1f}", flush=True)
        if last >= threshold:  # confirm on 100 fresh seeds, as hylo is measured
            final = evaluate(model, env_name, 100, EVAL_SEED_BASE + 500_000)
            print(f"  {env_name} seed {seed}: 100-seed mean return {final:8.1f}", flush=True)
            if final >= threshold:
                return _row(env_name, seed, steps, True, last, final, start)
    return _row(env_name, seed, steps, False, last, None, start)


def _row(
    env: str, seed: int, steps: int, reached: bool, last: float, final: float | None, start: float
) -> dict[str, Any]:
    return {
        "env": env,
        "seed": seed,
        "reached": reached,
        "env_steps": steps,
        "eval_return": last,
        "mean_return_100": final,
        "seconds": time.perf_counter() - start,
    }


def hylo_steps(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    report = json.loads(path.read_text())
    return {row["env"]: row for row in report["environments"]}


def summarise(rows: list[dict[str, Any]], hylo: dict[str, dict[str, Any]]) -> None:
    for env in sorted({r["env"] for r in rows}):
        runs = [r for r in rows if r["env"] == env]
        reached = [r["env_steps"] for r in runs if r["reached"]]
        line = f"{env}: PPO reached {THRESHOLDS[env]:g} in {len(reached)}/{len(runs)} runs"
        if reached:
            median = statistics.median(reached)
            line += f"; steps {sorted(reached)} (median {median:,.0f})"
            if env in hylo and hylo[env]["env_steps"]:
                ratio = median / hylo[env]["env_steps"]
                line += f"; hylo {hylo[env]['env_steps']:,} steps: {ratio:.1f}x fewer"
        else:
            line += f" (budget {max(r['env_steps'] for r in runs):,} steps)"
        print(line)


def main() -> None:
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        print("skipped: the PPO baseline needs stable-baselines3 (pip install stable-baselines3)")
        return
    torch.set_num_threads(1)
    args = parse_args()
    rows = [
        run_ppo(env, seed, args)
        for env in args.env or ["CartPole-v1"]
        for seed in range(args.seeds)
    ]
    summarise(rows, hylo_steps(args.hylo))
    out = args.out or RESULTS / f"control_ppo-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
