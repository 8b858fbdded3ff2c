"""Float primitives for the fitting tests."""

from __future__ import annotations

from hylo.lang import Primitive, Program, parse, parse_type

F2 = parse_type("float -> float -> float")
PLUS = Primitive("+.", F2, lambda a, b: a + b)
TIMES = Primitive("*.", F2, lambda a, b: a * b)
DIV = Primitive("/.", F2, lambda a, b: a / b)
GREATER = Primitive(">.", parse_type("float -> float -> bool"), lambda a, b: a > b)
TO_FLOAT = Primitive("float", parse_type("int -> float"), float)
NAMESPACE = {p.name: p for p in (PLUS, TIMES, DIV, GREATER, TO_FLOAT)}


def program(text: str) -> Program:
    return parse(text, NAMESPACE)
