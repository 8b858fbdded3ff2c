"""Programmatic policies: a domain for control, and gymnasium's classic-control tasks.

A policy is a program of type ``obs -> action`` (discrete actions) or
``obs -> float`` (a continuous action, clipped to the environment's range). Its
primitives are the observation components ``obs0`` … ``obs<n-1>`` (``obs ->
float``; a component with bounds is scaled to ``[-1, 1]``, see
:func:`observation_scale`), real arithmetic (``+.``, ``-.``, ``*.``), ``pos``
(is a number positive), ``if``, the actions ``act0`` … ``act<k-1>`` and ``c``, an open constant that
search leaves to a fitter (see :mod:`hylo.domains.numeric`). For CartPole-v1:

>>> from hylo.lang.program import parse
>>> domain = control_domain("CartPole-v1")
>>> text = "(lam (if (pos (+. (obs1 $0) (+. (obs2 $0) (obs3 $0)))) act1 act0))"
>>> policy = parse(text, domain.namespace)
>>> runner = EpisodeRunner("CartPole-v1")
>>> runner.returns(policy, (), seeds=[0, 1]), runner.env_steps
([500.0, 500.0], 1000)

:class:`EpisodeRunner` runs a policy on the real environment (``gymnasium``) and
counts every environment step; :class:`EpisodeReturn` is the *episode return*
objective: a parameter loss (minus the mean return over seeded episodes) that any
:class:`~hylo.train.base.Fitter` minimises.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hylo.domains.base import Domain
from hylo.domains.numeric import CONSTANT, MINUS, PLUS, TIMES
from hylo.lang.errors import EvaluationError, HyloError
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.program import Primitive, Program, show
from hylo.lang.types import BOOL, FLOAT, TCon, TVar, Type, arrow

__all__ = [
    "ACTION",
    "CONTROL",
    "CONTROL_ENVS",
    "OBS",
    "ControlEnv",
    "EpisodeReturn",
    "EpisodeRunner",
    "UnknownEnvironmentError",
    "control_domain",
    "get_env",
    "observation_scale",
    "probe_observations",
]

OBS = TCon("obs")
"""The type of an observation (a tuple of floats at run time)."""
ACTION = TCon("action")
"""The type of a discrete action (an ``int`` at run time)."""


class UnknownEnvironmentError(HyloError, ValueError):
    """An environment name that is not one of :data:`CONTROL_ENVS`."""


@dataclass(frozen=True)
class ControlEnv:
    """What the control domain knows about one gymnasium environment.

    Attributes:
        name: the gymnasium id (``"CartPole-v1"``).
        obs_names: what each observation component is (``obs0`` first).
        num_actions: discrete actions, or ``None`` for one continuous action.
        action_low: the least continuous action (actions are clipped to the range).
        action_high: the greatest continuous action.
        threshold: the mean return that counts as solved.
        max_step_reward: the most reward one step can give; when it is ``<= 0`` an
            episode whose return already fell below a bound can be cut short.
        train_episodes: how many seeded episodes score a policy during search: 2
            where every episode starts within a few hundredths of one state
            (CartPole, Acrobot), 10 where the start varies widely (MountainCar's
            position, Pendulum's angle).
        confirm_episodes: held-out episodes a policy must also reach the threshold
            on before a search stops (0: none). Where starts vary widely, the best
            of thousands of candidates on 10 episodes is partly the luckiest; on
            CartPole and Acrobot the training episodes already tell.
    """

    name: str
    obs_names: tuple[str, ...]
    num_actions: int | None
    threshold: float
    max_step_reward: float
    action_low: float = 0.0
    action_high: float = 0.0
    train_episodes: int = 3
    confirm_episodes: int = 0

    @property
    def obs_dim(self) -> int:
        return len(self.obs_names)

    @property
    def discrete(self) -> bool:
        return self.num_actions is not None

    @property
    def request(self) -> Type:
        """The type of a policy: ``obs -> action`` or ``obs -> float``."""
        return arrow(OBS, ACTION if self.discrete else FLOAT)


CONTROL_ENVS: dict[str, ControlEnv] = {
    env.name: env
    for env in (
        ControlEnv(
            "CartPole-v1",
            ("cart position", "cart velocity", "pole angle", "pole angular velocity"),
            2,
            475.0,
            1.0,
            train_episodes=2,
        ),
        ControlEnv(
            "Acrobot-v1",
            ("cos theta1", "sin theta1", "cos theta2", "sin theta2", "theta1 dot", "theta2 dot"),
            3,
            -100.0,
            0.0,
            train_episodes=2,
        ),
        ControlEnv(
            "MountainCar-v0",
            ("position", "velocity"),
            3,
            -110.0,
            0.0,
            train_episodes=10,
            confirm_episodes=30,
        ),
        ControlEnv(
            "Pendulum-v1",
            ("cos theta", "sin theta", "theta dot"),
            None,
            -200.0,
            0.0,
            -2.0,
            2.0,
            train_episodes=10,
            confirm_episodes=30,
        ),
    )
}
"""The classic-control environments (no downloads): name → what the domain knows."""


def get_env(name: str | ControlEnv) -> ControlEnv:
    """The environment called ``name``.

    Raises:
        UnknownEnvironmentError: not one of :data:`CONTROL_ENVS`.
    """
    if isinstance(name, ControlEnv):
        return name
    found = CONTROL_ENVS.get(name)
    if found is None:
        raise UnknownEnvironmentError(
            f"unknown environment {name!r}; the control environments are: {', '.join(CONTROL_ENVS)}"
        )
    return found


# --- the domain ------------------------------------------------------------------------


def _if(cond: Callable[[], bool], then: Callable[[], Any], other: Callable[[], Any]) -> Any:
    return then() if cond() else other()


def _action(k: int) -> Primitive:
    return Primitive(f"act{k}", ACTION, lambda: k, f"discrete action {k}")


def _observation(i: int, what: str) -> Primitive:
    return Primitive(f"obs{i}", arrow(OBS, FLOAT), operator.itemgetter(i), f"observation {what}")


POS = Primitive("pos", arrow(FLOAT, BOOL), lambda x: x > 0.0, "x > 0")


def control_domain(env: str | ControlEnv | None = None) -> Domain:
    """The policy primitives for ``env`` (``None``: six observations, three actions).

    ``if`` is typed for the environment's actions (``action`` or ``float``), which
    keeps search from building arithmetic it cannot use; without an environment
    it is polymorphic.

    >>> [p.name for p in control_domain("MountainCar-v0")]
    ['obs0', 'obs1', '+.', '-.', '*.', 'pos', 'c', 'if', 'act0', 'act1', 'act2']
    """
    spec = None if env is None else get_env(env)
    names = spec.obs_names if spec else tuple(f"component {i}" for i in range(6))
    out = spec.request.args[1] if spec else TVar(0)  # type: ignore[union-attr]
    if_ = Primitive("if", arrow(BOOL, out, out, out), _if, "if c then a else b", lazy=True)
    actions = range(spec.num_actions or 0) if spec else range(3)
    return Domain(
        "control" if spec is None else f"control-{spec.name}",
        (
            *(_observation(i, what) for i, what in enumerate(names)),
            PLUS,
            MINUS,
            TIMES,
            POS,
            CONSTANT,
            if_,
            *(_action(k) for k in actions),
        ),
        "programmatic policies: observations, arithmetic, comparison, if, actions",
    )


CONTROL = control_domain()
"""The generic control domain (``get_domain("control")``)."""


def probe_observations(env: str | ControlEnv, num: int, seed: int = 0) -> list[tuple[float, ...]]:
    """``num`` observations drawn from the observation space, without running the environment.

    Observations are in the scale policies see (:func:`observation_scale`):
    bounded components uniform in ``[-1, 1]``, unbounded ones standard normal.
    Search runs candidate programs on them to tell behaviours apart
    (observational equivalence) at no cost in environment steps.
    """
    center, _ = observation_scale(env)
    bounded = np.isfinite(center)
    rng = np.random.default_rng(seed)
    uniform = rng.uniform(-1.0, 1.0, (num, len(center)))
    normal = rng.standard_normal((num, len(center)))
    samples = np.where(bounded, uniform, normal)
    return [tuple(float(x) for x in row) for row in samples]


def observation_scale(env: str | ControlEnv) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(center, half_width)`` of each observation component's bounds (``nan, 1`` if unbounded).

    A policy sees ``(x - center) / half_width`` for bounded components, so that every
    component it reads lies in ``[-1, 1]`` and its constants have one scale; an
    unbounded component (a velocity in CartPole) is passed as it is.
    """
    import gymnasium as gym

    space = gym.make(get_env(env).name).observation_space
    low = np.asarray(space.low, dtype=np.float64)  # type: ignore[attr-defined]
    high = np.asarray(space.high, dtype=np.float64)  # type: ignore[attr-defined]
    bounded = np.isfinite(low) & np.isfinite(high)
    low, high = np.where(bounded, low, -1.0), np.where(bounded, high, 1.0)
    center = np.where(bounded, (low + high) / 2, np.nan)
    half = (high - low) / 2
    return center, half


# --- running policies ------------------------------------------------------------------

Policy = Callable[[tuple[float, ...]], Any]


class _Step:
    """One recorded state of an episode: what the policy saw, and what each action gave
    (the reward, and the next state or ``None`` where the episode ended)."""

    __slots__ = ("children", "obs")

    def __init__(self, obs: tuple[float, ...]) -> None:
        self.obs = obs
        self.children: dict[Any, tuple[float, _Step | None]] = {}


class EpisodeRunner:
    """Runs policy programs on one gymnasium environment and counts its steps.

    Args:
        env: the environment's name (one of :data:`CONTROL_ENVS`).
        limits: evaluation limits of one call of the policy (one step).
        replay: keep a record of every episode, per seed, as a tree of
            (observation, action) steps. The classic-control environments are
            deterministic given the seed and the actions, so an episode whose
            every action agrees with a recorded episode of the same seed has that
            episode's return: it is answered from the record and takes no
            environment step (``replayed_steps`` counts those). An episode that
            leaves the record is run from ``reset`` and every step counts.

    Attributes:
        env_steps: every environment step taken so far, over all episodes.
        replayed_steps: steps answered from the record instead (``replay=True``).
        episodes: episodes run so far.

    Raises:
        UnknownEnvironmentError: an environment that is not a control environment.
    """

    def __init__(
        self, env: str | ControlEnv, limits: Limits | None = None, replay: bool = False
    ) -> None:
        import gymnasium as gym

        self.spec = get_env(env)
        self.limits = limits or Limits(max_steps=1_000, timeout_s=1.0)
        self.replay = replay
        self.env_steps = 0
        self.replayed_steps = 0
        self.episodes = 0
        self._record: dict[int, _Step] = {}
        self._can_cut = self.spec.max_step_reward <= 0.0
        self._env = gym.make(self.spec.name)
        center, self._half = observation_scale(self.spec)
        self._center = np.nan_to_num(center)

    def policy(self, program: Program, params: Sequence[float] = ()) -> Policy:
        """A Python function from an observation to an action, for ``program`` with ``params``."""
        evaluator = Evaluator(self.limits)
        f = evaluator.function(program)
        evaluator.set_params(params)
        return f

    def episode(self, policy: Policy, seed: int, stop_below: float = -math.inf) -> float:
        """The return of one episode from ``env.reset(seed=seed)``.

        When no step can add reward (``max_step_reward <= 0``), the episode ends as
        soon as its return falls below ``stop_below``: the return given back is
        then an upper bound of the full one, which is below ``stop_below`` too.

        Raises:
            EvaluationError: the program failed, or gave an action that is not finite.
        """
        self.episodes += 1
        if not self.replay:
            return self._run(policy, seed, self._root(seed), [], 0.0, stop_below, record=False)
        node, total = self._root(seed), 0.0
        path: list[Any] = []
        while True:  # follow the record while the policy acts as a recorded episode did
            key = self._action(policy(node.obs))
            edge = node.children.get(key)
            if edge is None:
                return self._run(policy, seed, node, path, total, stop_below, record=True)
            reward, child = edge
            total += reward
            path.append(key)
            self.replayed_steps += 1
            if child is None or (self._can_cut and total < stop_below):
                return total
            node = child

    def _root(self, seed: int) -> _Step:
        root = self._record.get(seed)
        if root is None:
            obs, _ = self._env.reset(seed=seed)
            root = _Step(self._scaled(obs))
            if self.replay:
                self._record[seed] = root
        return root

    def _run(
        self,
        policy: Policy,
        seed: int,
        node: _Step,
        path: list[Any],
        total: float,
        stop_below: float,
        record: bool,
    ) -> float:
        """Run the environment from ``reset(seed)``: the recorded ``path`` first (those
        steps count too: the environment has to take them again), then ``policy``."""
        self._env.reset(seed=seed)
        for key in path:
            self._env.step(self._env_action(key))
            self.env_steps += 1
        while True:
            key = self._action(policy(node.obs))
            obs, reward, terminated, truncated, _ = self._env.step(self._env_action(key))
            self.env_steps += 1
            total += float(reward)
            done = bool(terminated or truncated)
            child = None if done else _Step(self._scaled(obs))
            if record:
                node.children[key] = (float(reward), child)
            if child is None or (self._can_cut and total < stop_below):
                return total
            node = child

    def _scaled(self, obs: Any) -> tuple[float, ...]:
        return tuple(((obs - self._center) / self._half).tolist())

    def returns(
        self, program: Program, params: Sequence[float] = (), seeds: Sequence[int] = (0,)
    ) -> list[float]:
        """The return of each episode, one per seed (``program`` with ``params``)."""
        policy = self.policy(program, params)
        return [self.episode(policy, seed) for seed in seeds]

    def _action(self, value: Any) -> Any:
        """The policy's output as an action: an ``int``, or a float clipped to the range."""
        if self.spec.discrete:
            return value
        if not isinstance(value, float) or not math.isfinite(value):
            raise EvaluationError(f"the policy gave the action {value!r}, not a finite number")
        return min(max(value, self.spec.action_low), self.spec.action_high)

    def _env_action(self, action: Any) -> Any:
        return action if self.spec.discrete else np.array([action], dtype=np.float32)

    def close(self) -> None:
        self._env.close()

    def __repr__(self) -> str:
        return f"EpisodeRunner({self.spec.name!r}, env_steps={self.env_steps})"


class EpisodeReturn:
    """The ``episode_return`` objective: minus the mean return of ``program`` over ``seeds``.

    A parameter loss for :meth:`~hylo.train.base.Fitter.fit`: called with the
    values of ``program``'s parameters, it runs one episode per seed (the same
    seeds every time, so losses compare fairly) and returns minus the mean
    return. A program that fails raises :class:`~hylo.lang.errors.EvaluationError`,
    which fitters count as a failed candidate.

    >>> from hylo.lang.program import parse
    >>> from hylo.domains.numeric import open_constants
    >>> ns = control_domain("CartPole-v1").namespace
    >>> policy = open_constants(parse("(lam (if (pos (+. (obs3 $0) c)) act1 act0))", ns))
    >>> loss = EpisodeReturn(policy, EpisodeRunner("CartPole-v1"), seeds=[0])
    >>> loss([0.0]) < loss([5.0])
    True
    """

    def __init__(self, program: Program, runner: EpisodeRunner, seeds: Sequence[int]) -> None:
        if not seeds:
            raise ValueError("EpisodeReturn needs at least one episode seed")
        self.program = program
        self.runner = runner
        self.seeds = tuple(seeds)

    def __call__(self, params: Sequence[float]) -> float:
        return -float(np.mean(self.runner.returns(self.program, params, self.seeds)))

    def __repr__(self) -> str:
        return (
            f"EpisodeReturn({show(self.program)}, {self.runner.spec.name}, {len(self.seeds)} seeds)"
        )
