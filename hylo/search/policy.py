"""Search for programmatic policies: enumerate structures, fit their constants by CMA-ES.

:class:`PolicySearch` finds a policy program for a classic-control environment
(:mod:`hylo.domains.control`). Structure and constants are searched apart:

* **Structure**: the enumerator yields policy programs in order of prior
  probability under a uniform grammar over the control primitives. Each open
  constant ``c`` costs ``constant_cost`` nats more than another leaf (a real
  number takes more to describe than a name), so the cheaper programs without
  constants are tried first. Programs are compared on *probe observations* drawn
  from the observation space, which costs no environment step: of programs that
  choose the same actions on every probe, only the first is run
  (observational equivalence, as in the enumerator).
* **Constants**: a structure with constants has them fitted by CMA-ES
  (:class:`~hylo.train.cmaes.CMAESFitter`) on the *episode return* objective
  (:class:`~hylo.domains.control.EpisodeReturn`), the mean return over the same
  seeded training episodes for every candidate.
* **Racing**: a candidate runs its training episodes one at a time and is
  dropped as soon as its running mean falls behind the best policy so far; in
  environments whose steps never give reward (Acrobot, MountainCar, Pendulum)
  its episode is cut as soon as it can no longer catch up. Most candidates are
  bad, and this makes them cheap in environment steps.

The search stops when the best policy's mean return over all training episodes
reaches the environment's threshold and holds on held-out episodes
(``confirm_episodes``), or when its step or time budget is spent. A policy that
does not hold up was partly lucky on the episodes it was chosen on: the held-out
episodes then join the training episodes, and the search goes on against the
policy's mean over all of them.
Every environment step is counted (``stats_.env_steps``); the final measure on
fresh seeds (:meth:`PolicySearch.evaluate`) is counted apart.

>>> search = PolicySearch(max_env_steps=20_000, seed=0).fit("CartPole-v1")
>>> search.stats_.solved, search.stats_.env_steps < 20_000
(True, True)
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hylo.domains.control import (
    ControlEnv,
    EpisodeRunner,
    control_domain,
    get_env,
    probe_observations,
)
from hylo.domains.numeric import CONSTANT, close_constants, count_constants, open_constants
from hylo.lang.errors import HyloError
from hylo.lang.evaluate import Budget, Limits, run, use_limits
from hylo.lang.program import Abstraction, Program, show
from hylo.search.enumerate import Enumerator, gc_paused
from hylo.search.grammar import Grammar
from hylo.train.base import FitBudget, Fitter
from hylo.train.cmaes import CMAESFitter

__all__ = ["PolicyOutcome", "PolicySearch", "PolicyStats", "control_benchmark", "format_policy"]

_LIMITS = Limits(max_steps=1_000, timeout_s=1.0)
# Width of the enumerator's cost bands (nats).
_BAND_WIDTH = 1.0
# Training seeds are 1000 * seed, …; fresh evaluation seeds start here.
EVAL_SEED_BASE = 1_000_000


@dataclass(frozen=True)
class PolicyStats:
    """What a policy search did.

    Attributes:
        env_steps: environment steps taken while searching and fitting (all of them).
        replayed_steps: steps of episodes answered from the record instead.
        episodes: episodes run (whole or cut short).
        structures: distinct policy structures tried (after observational equivalence).
        fits: structures whose constants were fitted by the fitter.
        seconds: wall-clock time of the search.
        solved: the best policy reached the threshold on the training episodes and
            on the held-out episodes that confirmed it.
        train_episodes: episodes that score a candidate at the end (the training
            episodes, and the held-out episodes of every confirmation).
        confirmations: times the best policy was run on held-out episodes.
    """

    env_steps: int
    replayed_steps: int
    episodes: int
    structures: int
    fits: int
    seconds: float
    solved: bool
    train_episodes: int
    confirmations: int


class _OutOfBudget(Exception):
    """The search's step or time budget is spent."""


class PolicySearch:
    """Find a policy program for a control environment (structure by enumeration, constants
    by CMA-ES, fitness the mean return over seeded episodes).

    Args:
        max_env_steps: environment steps the search may take at most.
        timeout_s: wall-clock budget, seconds.
        train_episodes: seeded episodes that score a candidate
            (``None``: the environment's ``train_episodes``: 2 where episodes start
            near one state, 10 where the start varies widely).
        confirm_episodes: held-out episodes on which a policy that reaches the
            threshold must reach it too before the search stops (``None``: the
            environment's ``confirm_episodes``; 0: stop at once). Every step counts.
        fit_evaluations: parameter vectors the fitter may try per structure.
        max_constants: structures with more open constants are skipped.
        constant_cost: extra description length of one open constant, nats.
        num_probes: probe observations for observational equivalence.
        replay: answer an episode from the record of earlier episodes of the same
            seed when the policy takes the same action at every step (the
            environments are deterministic given seed and actions; see
            :class:`~hylo.domains.control.EpisodeRunner`): such an episode takes no
            environment step.
        fit_slack: while constants are fitted, a candidate races against the best
            return less this fraction of its size, so that CMA-ES still sees which
            of the points a little worse than the best are better (0: race against
            the best itself, the cheapest in steps, but then every point worse than
            the best scores alike and CMA-ES has nothing to follow: on
            MountainCar-v0 the search then never fits the linear switching policy
            it needs).
        fitter: fits the constants (default: ``CMAESFitter(sigma0=0.25, seed=seed)``).
        seed: seeds the training episodes (``1000 * seed`` on), the probes and the
            fitter; the same seed gives the same search.

    Attributes (set by :meth:`fit`):
        env_: the environment searched.
        program_: the best policy, with parameters ``#c0`` … for its constants.
        params_: the fitted values of those parameters.
        policy_: the best policy with its constants written in (what it runs).
        train_return_: its mean return over the training episodes.
        stats_: a :class:`PolicyStats`.
    """

    env_: ControlEnv
    program_: Program
    params_: tuple[float, ...]
    policy_: Program
    train_return_: float
    stats_: PolicyStats

    def __init__(
        self,
        max_env_steps: int = 1_000_000,
        timeout_s: float = 300.0,
        train_episodes: int | None = None,
        confirm_episodes: int | None = None,
        fit_evaluations: int = 60,
        max_constants: int = 3,
        constant_cost: float = 2.0,
        num_probes: int = 64,
        replay: bool = True,
        fit_slack: float = 0.05,
        fitter: Fitter | None = None,
        seed: int = 0,
    ) -> None:
        self.max_env_steps = max_env_steps
        self.timeout_s = timeout_s
        self.train_episodes = train_episodes
        self.confirm_episodes = confirm_episodes
        self.fit_evaluations = fit_evaluations
        self.max_constants = max_constants
        self.constant_cost = constant_cost
        self.num_probes = num_probes
        self.replay = replay
        self.fit_slack = fit_slack
        self.fitter = fitter
        self.seed = seed

    def fit(
        self, env: str | ControlEnv, progress: Callable[[int, float], None] | None = None
    ) -> PolicySearch:
        """Search a policy for ``env``; ``progress(env_steps, best_return)`` after each candidate.

        Raises:
            UnknownEnvironmentError: ``env`` is not a control environment.
            ValueError: a budget or count below 1.
        """
        self._validate()
        self.env_ = get_env(env)
        run_ = _PolicyRun(self, self.env_, progress)
        with gc_paused():
            run_.run()
        self.program_, self.params_ = run_.best_program, run_.best_params
        self.policy_ = close_constants(run_.best_program, run_.best_params)
        self.train_return_ = run_.best_return
        self.stats_ = run_.stats()
        return self

    def evaluate(self, episodes: int = 100, seed_base: int = EVAL_SEED_BASE) -> list[float]:
        """Returns of the found policy on ``episodes`` fresh seeds (not counted in ``stats_``)."""
        if not hasattr(self, "policy_"):
            raise HyloError("this PolicySearch has no policy yet: call fit(env) before evaluate()")
        runner = EpisodeRunner(self.env_, _LIMITS)
        try:
            return runner.returns(self.policy_, (), range(seed_base, seed_base + episodes))
        finally:
            runner.close()

    def _validate(self) -> None:
        for name in ("max_env_steps", "train_episodes", "fit_evaluations", "num_probes"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.confirm_episodes is not None and self.confirm_episodes < 0:
            raise ValueError(f"confirm_episodes must be >= 0, got {self.confirm_episodes}")
        if self.fit_slack < 0:
            raise ValueError(f"fit_slack must be >= 0, got {self.fit_slack}")
        if self.max_constants < 0 or self.constant_cost < 0:
            raise ValueError(
                "max_constants and constant_cost must be >= 0, got "
                f"max_constants={self.max_constants}, constant_cost={self.constant_cost}"
            )

    def __repr__(self) -> str:
        return f"PolicySearch(max_env_steps={self.max_env_steps}, seed={self.seed})"


class _PolicyRun:
    """One search: enumerate structures, race and fit them, keep the best."""

    def __init__(
        self,
        search: PolicySearch,
        env: ControlEnv,
        progress: Callable[[int, float], None] | None,
    ) -> None:
        self.search, self.env, self.progress = search, env, progress
        self.runner = EpisodeRunner(env, _LIMITS, replay=search.replay)
        first = 1000 * search.seed  # each search seed trains on its own episodes
        self.seeds = tuple(range(first, first + (search.train_episodes or env.train_episodes)))
        confirm = search.confirm_episodes
        self.confirm_episodes = env.confirm_episodes if confirm is None else confirm
        self.confirmations = 0
        self.start = time.perf_counter()
        # Until a candidate is scored: a policy that always does the first action (or 0.0).
        self.best_program = open_constants(
            Abstraction(control_domain(env)["act0" if env.discrete else "c"])
        )
        self.best_params: tuple[float, ...] = (0.0,) * count_constants(self.best_program)
        self.best_return = -math.inf
        self.structures = 0
        self.fits = 0
        self.solved = False

    # --- the loop --------------------------------------------------------------------

    def run(self) -> None:
        try:
            for program in self._structures():
                self._try(program)
                if self.best_return >= self.env.threshold and self._holds_up():
                    self.solved = True
                    return
        except _OutOfBudget:
            return
        finally:
            self.runner.close()

    def _structures(self) -> Iterator[Program]:
        """Distinct policy structures in order of prior (one per behaviour on the probes)."""
        domain = control_domain(self.env)
        grammar = Grammar(
            ((-self.search.constant_cost if p == CONSTANT else 0.0, p) for p in domain),
        )
        probes = probe_observations(self.env, self.search.num_probes, self.search.seed)
        budget = Budget(_LIMITS)
        enumerator = Enumerator(grammar, self.env.request, budget, inputs=[(p,) for p in probes])
        envs = [(p,) for p in probes]
        seen: set[tuple[Any, ...]] = set()
        lo = 0.0
        while True:
            self._check_budget()
            band = sorted(enumerator.band(lo, lo + _BAND_WIDTH), key=lambda item: item[0])
            for item in band:
                try:
                    signature = tuple(run(item[1], env, budget) for env in envs)
                except HyloError:
                    continue
                if signature in seen:
                    continue
                seen.add(signature)
                program = enumerator.program(item)
                if count_constants(program) <= self.search.max_constants:
                    yield program
            lo += _BAND_WIDTH

    def _try(self, structure: Program) -> None:
        """Race ``structure`` (fit its constants first if it has any)."""
        self.structures += 1
        program = open_constants(structure)
        k = count_constants(structure)
        use_limits(_LIMITS)
        if k == 0:
            self._consider(program, (), self._race(program, (), self.best_return))
            return
        self.fits += 1
        # Observations are scaled to [-1, 1]: constants start at 0 with a quarter of that range.
        fitter = self.search.fitter or CMAESFitter(sigma0=0.25, seed=self.search.seed)
        budget = FitBudget(self.search.fit_evaluations, target_loss=-self.env.threshold)

        def loss(params: Sequence[float]) -> float:
            # Race against a bar a little below the best: cut at the best itself, every
            # point worse than it would score alike and leave CMA-ES nothing to follow.
            slack = self.search.fit_slack * abs(self.best_return)
            score = self._race(program, params, self.best_return - slack)
            self._consider(program, tuple(params), score)
            return -score

        fitter.fit(program, loss, budget=budget)

    def _consider(self, program: Program, params: tuple[float, ...], score: float) -> None:
        if score > self.best_return:
            self.best_program, self.best_params, self.best_return = program, params, score
        if self.progress is not None:
            self.progress(self.runner.env_steps, self.best_return)

    def _race(self, program: Program, params: Sequence[float], bar: float) -> float:
        """Mean return over the training episodes, stopped once it falls below ``bar``.

        Returns the mean over the episodes run, which is below ``bar`` whenever
        the race was cut short.
        """
        try:
            policy = self.runner.policy(program, params)
        except HyloError:
            return -math.inf
        best, total = bar, 0.0
        for j, seed in enumerate(self.seeds):
            self._check_budget()
            needed = best * (j + 1) - total  # this episode's return must reach it to keep up
            try:
                total += self.runner.episode(policy, seed, stop_below=needed)
            except HyloError:
                return -math.inf
            if total / (j + 1) < best:
                return total / (j + 1)
        return total / len(self.seeds)

    def _holds_up(self) -> bool:
        """Whether the best policy reaches the threshold on held-out episodes too.

        The held-out episodes join the training episodes either way, and the best
        return becomes the mean over all of them: if the policy fell short, later
        candidates race against that more honest figure, on more episodes.
        """
        if self.confirm_episodes == 0:
            return True
        self.confirmations += 1
        policy = self.runner.policy(self.best_program, self.best_params)
        first = self.seeds[-1] + 1
        held_out = tuple(range(first, first + self.confirm_episodes))
        returns = []
        for seed in held_out:
            self._check_budget()
            try:
                returns.append(self.runner.episode(policy, seed))
            except HyloError:  # it fails on a state the training episodes never reached
                returns.append(-math.inf)
        n = len(self.seeds)
        self.best_return = (self.best_return * n + sum(returns)) / (n + len(held_out))
        self.seeds = (*self.seeds, *held_out)
        return float(np.mean(returns)) >= self.env.threshold

    def _check_budget(self) -> None:
        if self.runner.env_steps >= self.search.max_env_steps:
            raise _OutOfBudget
        if time.perf_counter() - self.start > self.search.timeout_s:
            raise _OutOfBudget

    def stats(self) -> PolicyStats:
        return PolicyStats(
            self.runner.env_steps,
            self.runner.replayed_steps,
            self.runner.episodes,
            self.structures,
            self.fits,
            time.perf_counter() - self.start,
            self.solved,
            len(self.seeds),
            self.confirmations,
        )


def format_policy(program: Program, width: int = 72) -> str:
    """A policy's text on a few lines: one ``if`` branch per line when it is long.

    >>> from hylo.lang.program import parse
    >>> ns = control_domain("CartPole-v1").namespace
    >>> print(format_policy(parse("(lam (if (pos (obs3 $0)) act1 act0))", ns)))
    (lam (if (pos (obs3 $0)) act1 act0))
    """
    text = show(program)
    if len(text) <= width:
        return text
    return "\n".join(_lines(text, 0, width))


def _lines(text: str, indent: int, width: int) -> list[str]:
    """Break an s-expression at its top-level arguments until each line fits."""
    pad = "  " * indent
    if len(pad) + len(text) <= width or not text.startswith("("):
        return [pad + text]
    parts = _split(text[1:-1])
    head, args = parts[0], parts[1:]
    if head == "lam" and len(args) == 1:
        inner = _lines(args[0], indent + 1, width)
        return [f"{pad}(lam", *inner[:-1], inner[-1] + ")"]
    out = [f"{pad}({head}"]
    for a in args:
        out.extend(_lines(a, indent + 1, width))
    out[-1] += ")"
    return out


def _split(text: str) -> list[str]:
    """The top-level items of an s-expression's inside."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == " " and depth == 0:
            if current:
                parts.append(current)
            current = ""
            continue
        depth += (ch == "(") - (ch == ")")
        current += ch
    if current:
        parts.append(current)
    return parts


@dataclass(frozen=True)
class PolicyOutcome:
    """One environment of a control benchmark (the fields of its JSON row).

    Attributes:
        env: the environment's name.
        mean_return: the found policy's mean return over ``episodes`` fresh seeds.
        env_steps: environment steps the search took (the fresh episodes not included).
        program: the policy, its constants written in.
        seconds: wall-clock time of the search.
        solved: ``mean_return`` reaches the environment's threshold.
        threshold: that threshold.
        train_return: the policy's mean return on the training episodes.
        structures: policy structures tried.
    """

    env: str
    mean_return: float
    env_steps: int
    program: str
    seconds: float
    solved: bool
    threshold: float
    train_return: float
    structures: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def control_benchmark(
    envs: Sequence[str],
    search: PolicySearch | None = None,
    episodes: int = 100,
    progress: Callable[[str, int, float], None] | None = None,
) -> list[PolicyOutcome]:
    """Search a policy for each environment and measure it on ``episodes`` fresh seeds.

    Args:
        envs: environment names (see :data:`~hylo.domains.control.CONTROL_ENVS`).
        search: the search settings (default: ``PolicySearch()``).
        episodes: fresh episodes that measure each policy.
        progress: ``progress(env, env_steps, best_train_return)`` during each search.

    Raises:
        UnknownEnvironmentError: an unknown name (checked before anything runs).

    >>> [row.env for row in control_benchmark(["CartPole-v1"], episodes=2)]
    ['CartPole-v1']
    """
    specs = [get_env(name) for name in envs]
    search = search or PolicySearch()
    out = []
    for spec in specs:
        callback = None if progress is None else functools.partial(progress, spec.name)
        search.fit(spec, callback)
        mean_return = float(np.mean(search.evaluate(episodes)))
        out.append(
            PolicyOutcome(
                spec.name,
                mean_return,
                search.stats_.env_steps,
                format_policy(search.policy_),
                search.stats_.seconds,
                mean_return >= spec.threshold,
                spec.threshold,
                search.train_return_,
                search.stats_.structures,
            )
        )
    return out
