"""The control domain: policies on real gymnasium environments, constants fitted by CMA-ES."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.control import (
    CONTROL_ENVS,
    EpisodeReturn,
    EpisodeRunner,
    UnknownEnvironmentError,
    control_domain,
    get_env,
    probe_observations,
)
from hylo.domains.numeric import close_constants, count_constants, open_constants
from hylo.lang.errors import EvaluationError, HyloError
from hylo.lang.infer import check
from hylo.lang.program import Program, parse, show
from hylo.search.policy import PolicySearch, format_policy
from hylo.train import CMAESFitter, FitBudget

CARTPOLE = control_domain("CartPole-v1")


def policy(text: str, env: str = "CartPole-v1", open_: bool = True) -> Program:
    program = parse(text, control_domain(env).namespace)
    return open_constants(program) if open_ else program


@pytest.mark.parametrize("name", list(CONTROL_ENVS))
def test_a_policy_runs_on_the_real_environment(name):
    env = get_env(name)
    text = "(lam (if (pos (obs0 $0)) act1 act0))" if env.discrete else "(lam (obs0 $0))"
    program = policy(text, name)
    assert check(program, env.request)
    runner = EpisodeRunner(name)
    returns = runner.returns(program, (), seeds=[0, 1])
    assert len(returns) == 2 and all(math.isfinite(r) for r in returns)
    assert runner.episodes == 2 and runner.env_steps >= 2


def test_env_steps_count_every_step():
    runner = EpisodeRunner("CartPole-v1")
    returns = runner.returns(policy("(lam act0)"), (), seeds=[0, 1, 2])
    assert runner.env_steps == sum(returns)  # CartPole gives 1 per step


def test_a_good_policy_balances_the_pole():
    program = policy("(lam (if (pos (+. (obs2 $0) (obs3 $0))) act1 act0))")
    assert EpisodeRunner("CartPole-v1").returns(program, (), seeds=[0, 1]) == [500.0, 500.0]


def test_same_seed_same_return():
    program = policy("(lam (if (pos (obs3 $0)) act1 act0))")
    a = EpisodeRunner("CartPole-v1").returns(program, (), seeds=[3, 4])
    b = EpisodeRunner("CartPole-v1").returns(program, (), seeds=[3, 4])
    assert a == b


def test_episodes_are_cut_once_they_cannot_catch_up():
    runner = EpisodeRunner("MountainCar-v0")
    full = runner.episode(runner.policy(policy("(lam act1)", "MountainCar-v0")), seed=0)
    runner.env_steps = 0
    cut = runner.episode(runner.policy(policy("(lam act1)", "MountainCar-v0")), 0, stop_below=-20)
    assert full == -200.0 and cut < -20 and runner.env_steps == 21


def test_continuous_actions_are_clipped_and_must_be_finite():
    runner = EpisodeRunner("Pendulum-v1")
    big = runner.returns(policy("(lam (*. c c))", "Pendulum-v1"), (1e3, 1e3), seeds=[0])
    two = runner.returns(policy("(lam c)", "Pendulum-v1"), (2.0,), seeds=[0])
    assert big == two  # 1e6 is clipped to the largest torque, 2
    with pytest.raises(EvaluationError, match="finite"):
        runner.returns(policy("(lam (*. c c))", "Pendulum-v1"), (1e200, 1e200), seeds=[0])


def test_cmaes_fits_a_cartpole_policys_constants():
    program = policy("(lam (if (pos (+. (obs3 $0) (*. c (obs2 $0)))) act1 act0))")
    assert count_constants(parse("(lam (*. c c))", CARTPOLE.namespace)) == 2

    def fit(seed: int) -> tuple[tuple[float, ...], float, int]:
        runner = EpisodeRunner("CartPole-v1")
        loss = EpisodeReturn(program, runner, seeds=[0])
        result = CMAESFitter(sigma0=2.0, seed=seed).fit(
            program, loss, init=[-3.0], budget=FitBudget(8)
        )
        return result.params, result.loss, runner.env_steps

    start = EpisodeReturn(program, EpisodeRunner("CartPole-v1"), seeds=[0])([-3.0])
    params, loss, steps = fit(0)
    assert loss < start  # a higher mean return than the starting point
    assert fit(0) == (params, loss, steps)  # seeded: the same fit, step for step


def test_unknown_environment_is_a_clean_error():
    with pytest.raises(UnknownEnvironmentError, match="CartPole-v1"):
        EpisodeRunner("CartPole-v0")
    with pytest.raises(UnknownEnvironmentError):
        PolicySearch().fit("Breakout")


def test_registered_domain():
    domain = get_domain("control")
    assert {"obs0", "obs5", "act2", "if", "pos", "c"} <= {p.name for p in domain}


def test_probes_are_seeded_and_scaled():
    a = probe_observations("MountainCar-v0", 50, seed=1)
    assert a == probe_observations("MountainCar-v0", 50, seed=1)
    assert all(-1.0 <= x <= 1.0 for obs in a for x in obs)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=3))
def test_constants_open_and_close(values):
    program = parse("(lam (+. c (*. c (-. (obs0 $0) c))))", CARTPOLE.namespace)
    opened = open_constants(program)
    assert show(opened) == "(lam (+. #c0:float (*. #c1:float (-. (obs0 $0) #c2:float))))"
    closed = close_constants(opened, values)
    assert count_constants(closed) == 0 and "#c" not in show(closed)
    with pytest.raises(HyloError):
        close_constants(opened, values[:2])


def test_policy_search_solves_cartpole_deterministically():
    a = PolicySearch(max_env_steps=20_000, seed=0).fit("CartPole-v1")
    b = PolicySearch(max_env_steps=20_000, seed=0).fit("CartPole-v1")
    assert a.stats_.solved and a.train_return_ >= 475
    assert show(a.policy_) == show(b.policy_) and a.stats_.env_steps == b.stats_.env_steps
    assert a.stats_.env_steps <= 20_000
    assert min(a.evaluate(episodes=3)) > 0


def test_policy_search_respects_its_step_budget():
    search = PolicySearch(max_env_steps=300, seed=0).fit("Acrobot-v1")
    # The budget is checked before each episode: one episode (<= 500 steps) may overrun it.
    assert search.stats_.env_steps < 300 + 500
    assert check(search.program_, get_env("Acrobot-v1").request)


def test_policy_search_fits_constants_of_a_continuous_policy():
    search = PolicySearch(max_env_steps=3_000, train_episodes=1, seed=0).fit("Pendulum-v1")
    assert search.stats_.fits >= 1 and search.train_return_ > -2000


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="train_episodes"):
        PolicySearch(train_episodes=0).fit("CartPole-v1")
    with pytest.raises(ValueError, match="fit_slack"):
        PolicySearch(fit_slack=-1.0).fit("CartPole-v1")
    with pytest.raises(HyloError, match="fit"):
        PolicySearch().evaluate()


def test_format_policy_breaks_long_programs():
    program = policy(
        "(lam (if (pos (+. (obs2 $0) (obs3 $0))) (if (pos (obs0 $0)) act1 act0) "
        "(if (pos (-. (obs1 $0) (obs3 $0))) act0 act1)))",
        open_=False,
    )
    text = format_policy(program, width=40)
    assert len(text.splitlines()) > 1
    assert parse(" ".join(text.split()), CARTPOLE.namespace) == program


def test_a_policy_must_hold_on_held_out_episodes_before_the_search_stops():
    # On one training episode, the first policies to reach -120 were lucky: two
    # confirmations fail before one holds (seeded, so always the same).
    env = dataclasses.replace(get_env("MountainCar-v0"), threshold=-120.0)
    search = PolicySearch(max_env_steps=60_000, train_episodes=1, confirm_episodes=3, seed=0)
    stats = search.fit(env).stats_
    assert stats.solved and stats.confirmations >= 2
    # Every confirmation adds its episodes to the training episodes …
    assert stats.train_episodes == 1 + 3 * stats.confirmations
    # … and the best policy's training return is its mean over all of them.
    returns = EpisodeRunner(env).returns(
        search.program_, search.params_, range(stats.train_episodes)
    )
    assert search.train_return_ == pytest.approx(sum(returns) / len(returns))
    assert sum(returns[-3:]) / 3 >= -120.0  # it held on the last held-out episodes


def test_no_confirmation_where_the_environment_needs_none():
    search = PolicySearch(max_env_steps=20_000, seed=0).fit("CartPole-v1")
    assert search.stats_.confirmations == 0 and search.stats_.train_episodes == 2
