"""Parameters ``#c0:float``: printing/parsing, structure, type inference, evaluation."""

from __future__ import annotations

import doctest
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hylo.lang.evaluate
import hylo.lang.program
from hylo.lang import (
    FLOAT,
    INT,
    Abstraction,
    Application,
    EvaluationError,
    Evaluator,
    Index,
    Param,
    ParseError,
    Primitive,
    Program,
    TCon,
    apply_to,
    beta_normal,
    check,
    infer,
    list_of,
    params_of,
    parse,
    parse_type,
    show,
    show_type,
    size,
)
from hylo.lang.program import shift, substitute

PLUS = Primitive("+.", parse_type("float -> float -> float"), lambda a, b: a + b)
TIMES = Primitive("*.", parse_type("float -> float -> float"), lambda a, b: a * b)
NS = {"+.": PLUS, "*.": TIMES}

LINE = "(lam (+. (*. #c0:float $0) #c1:float))"


def test_show_and_parse() -> None:
    p = parse(LINE, NS)
    assert show(p) == LINE
    assert params_of(p) == (Param(0, FLOAT), Param(1, FLOAT))
    assert parse("#c12:int", {}) == Param(12, INT)
    assert str(Param(3, FLOAT)) == "#c3:float"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#c0", r"bad parameter '#c0' \(expected #c<N>:<type>, e.g. #c0:float\)"),
        ("#cx:float", r"bad parameter '#cx:float'"),
        ("#c0:list(int)", r"unexpected '\(' after the end"),
        ("#c-1:float", r"bad parameter"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(text, NS)


def test_namespace_names_come_first() -> None:
    odd = Primitive("#c0", FLOAT, lambda: 1.0)
    assert parse("#c0", {"#c0": odd}) is odd


def test_invalid_params() -> None:
    with pytest.raises(ValueError, match="parameter index must be >= 0, got -1"):
        Param(-1, FLOAT)
    with pytest.raises(ValueError, match=r"base type such as float or int, got list\(int\)"):
        Param(0, list_of(INT))


def test_equality_hashing_pickling() -> None:
    assert Param(0, FLOAT) == Param(0, TCon("float"))
    assert Param(0, FLOAT) != Param(0, INT)
    assert Param(0, FLOAT) != Index(0)
    assert len({Param(0, FLOAT), Param(0, FLOAT), Param(1, FLOAT)}) == 2
    p = Abstraction(Application(Param(1, INT), Param(0, FLOAT)))
    assert pickle.loads(pickle.dumps(p)) == p


def test_structure() -> None:
    p = parse(LINE, NS)
    assert size(p) == 5
    assert shift(p, 3) == p  # parameters are not variables
    body = parse("(+. $0 #c0:float)", NS)
    assert substitute(body, 0, Param(1, FLOAT)) == parse("(+. #c1:float #c0:float)", NS)
    redex = Application(p, Param(2, FLOAT))
    assert show(beta_normal(redex)) == "(+. (*. #c0:float #c2:float) #c1:float)"
    assert params_of(parse("(+. #c1:float (+. #c0:float #c1:float))", NS)) == (
        Param(0, FLOAT),
        Param(1, FLOAT),
    )


def test_type_inference() -> None:
    assert show_type(infer(parse(LINE, NS))) == "float -> float"
    assert show_type(infer(Param(0, INT))) == "int"
    assert not check(
        parse("(+. #c0:int 1.0)", {**NS, "1.0": Primitive("1.0", FLOAT, lambda: 1.0)}), FLOAT
    )
    assert check(Abstraction(Param(0, FLOAT)), parse_type("a -> float"))


def test_evaluation_reads_the_parameter_vector() -> None:
    ev = Evaluator()
    f = ev.function(parse(LINE, NS))
    ev.set_params([3.0, 1.0])
    assert f(2.0) == 7.0
    ev.set_params((0.5, -1.0))  # one compiled program, many parameter vectors
    assert f(2.0) == 0.0


def test_missing_parameter_value_is_an_evaluation_error() -> None:
    ev = Evaluator()
    f = ev.function(parse(LINE, NS))
    ev.set_params([3.0])
    with pytest.raises(EvaluationError, match=r"parameter #c1:float has no value: 1 given"):
        f(2.0)


def _programs_with_params() -> st.SearchStrategy[Program]:
    leaves: st.SearchStrategy[Program] = (
        st.sampled_from([PLUS, TIMES])
        | st.builds(Index, st.integers(0, 2))
        | st.builds(Param, st.integers(0, 12), st.sampled_from([FLOAT, INT, TCon("color")]))
    )
    return st.recursive(
        leaves,
        lambda inner: st.builds(Application, inner, inner) | st.builds(Abstraction, inner),
        max_leaves=10,
    )


@given(_programs_with_params())
def test_round_trip(p: Program) -> None:
    assert parse(show(p), NS) == p


def test_apply_to_params() -> None:
    assert show(apply_to(PLUS, Param(0, FLOAT), Param(1, FLOAT))) == "(+. #c0:float #c1:float)"


@pytest.mark.parametrize("module", [hylo.lang.program, hylo.lang.evaluate])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
