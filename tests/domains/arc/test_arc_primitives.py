"""Every ARC primitive on small hand-made grids, and its clean failures."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from arc_helpers import G, call, run
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains.arc import ARC, Grid, Obj
from hylo.lang.errors import EvaluationError

MOVE_SMALL_TO_LARGE = (
    "(lam (move-until-touch $0 (select-min p-size (objects $0)) (select-max p-size (objects $0))))"
)
# (program, input grid, expected value)
CASES: list[tuple[str, str, Any]] = [
    # geometry
    ("rot90", "120/300", G("31/02/00")),
    ("rot180", "120/300", G("003/021")),
    ("rot270", "120/300", G("00/20/13")),
    ("flip-lr", "120/300", G("021/003")),
    ("flip-ud", "120/300", G("300/120")),
    ("transpose", "120/300", G("13/20/00")),
    ("anti-transpose", "120/300", G("00/02/31")),
    ("crop", "000/010/011", G("10/11")),
    ("(lam (crop-color $0 c2))", "1002/0000/0002", G("2/0/2")),
    ("trim", "111/121/111", G("2")),
    ("(lam (pad $0 c3))", "1", G("333/313/333")),
    ("(lam (upscale $0 2))", "12", G("1122/1122")),
    ("(lam (downscale $0 2))", "1122/1122", G("12")),
    ("(lam (tile $0 2 1))", "12", G("12/12")),
    ("(lam (tile $0 1 3))", "1", G("111")),
    ("mirror-tile", "12/30", G("1221/3003/3003/1221")),
    ("rot-tile", "12/30", G("1231/3002/2003/1321")),
    ("fractal", "10/01", G("1000/0100/0010/0001")),
    ("(lam (fractal-at $0 c2))", "12/00", G("0012/0000/0000/0000")),
    ("(lam (shift $0 right 1))", "100/000", G("010/000")),
    ("(lam (shift $0 down 1))", "100/000", G("000/100")),
    ("(lam (shift $0 left 3))", "100/000", G("000/000")),
    ("(lam (gravity $0 down))", "100/010/000", G("000/000/110")),
    ("(lam (gravity $0 up))", "000/010/101", G("111/000/000")),
    ("(lam (gravity $0 left))", "001/010", G("100/100")),
    ("(lam (gravity $0 right))", "100/010", G("001/001")),
    ("(lam (gravity $0 right))", "120/300/045", G("012/003/045")),
    ("(lam (gravity $0 left))", "012/003/450", G("120/300/450")),
    ("compress", "1111/1231/1111/1451", G("23/45")),
    ("dedup-lines", "1122/1122/3344", G("12/34")),
    # colour
    ("(lam (recolor $0 c1 c5))", "102", G("502")),
    ("(lam (swap-colors $0 c1 c2))", "102", G("201")),
    ("bg-color", "001", 0),
    ("majority-color", "112", 1),
    ("(lam (recolor-except $0 (majority-color $0) c5))", "222/218/288", G("222/255/255")),
    ("fg-color", "0012/0002", 2),
    ("least-color", "00112", 2),
    ("num-colors", "0012", 2),
    ("(lam (count-color $0 c0))", "0012", 2),
    ("(lam (keep-color $0 c2))", "00123", G("00020")),
    ("(lam (remove-color $0 c1))", "0012", G("0002")),
    ("(lam (paint-fg $0 c5))", "0012", G("0055")),
    ("(lam (blank $0 c7))", "12/34", G("77/77")),
    ("(lam (canvas 2 (inc 2) c4))", "1", G("444/444")),
    ("(lam (has-color $0 c2))", "12", True),
    ("(lam (has-color $0 c3))", "12", False),
    # objects
    ("(lam (count-objs (objects $0)))", "1100/1002/0022", 2),
    ("(lam (count-objs (objects $0)))", "100/010/002", 3),
    ("(lam (count-objs (objects-diag $0)))", "100/010/002", 2),
    ("(lam (count-objs (objects-multi $0)))", "120/000/003", 2),
    ("(lam (count-objs (objects-multi $0)))", "100/020/003", 3),
    ("(lam (count-objs (objects-multi-diag $0)))", "100/020/003", 1),
    ("(lam (count-objs (color-groups $0)))", "101/020/000", 2),
    ("(lam (count-objs (bg-regions $0)))", "00100/11100/00000", 2),
    (
        "(lam (recolor-in $0 (off-border $0 (bg-regions $0)) c4))",
        "00000/01110/01010/01110/00000",
        G("00000/01110/01410/01110/00000"),
    ),
    ("(lam (obj-grid (select-max p-size (objects $0))))", "1100/1000/0002", G("11/10")),
    ("(lam (obj-grid (select-min p-size (objects $0))))", "1100/1000/0002", G("2")),
    ("(lam (subgrid $0 (select-max p-size (objects $0))))", "1100/1200/0000", G("11/12")),
    ("(lam (obj-color (select-unique p-color (objects $0))))", "1010/0002", 2),
    ("(lam (prop-of p-left (select-common p-color (objects $0))))", "0101/0002", 1),
    ("(lam (count-objs (keep-max p-size (objects $0))))", "1102/0002/3000", 2),
    ("(lam (count-objs (keep-min p-size (objects $0))))", "1102/0002/3000", 1),
    ("(lam (count-objs (filter-prop p-size 1 (objects $0))))", "1102/0002/3000", 1),
    ("(lam (count-objs (exclude-prop p-size 1 (objects $0))))", "1102/0002/3000", 2),
    ("(lam (count-objs (filter-color c2 (objects $0))))", "1102/0002/3000", 1),
    ("(lam (count-objs (exclude-color c2 (objects $0))))", "1102/0002/3000", 2),
    ("(lam (obj-color (nth 0 (at-border $0 (objects $0)))))", "100/020/000", 1),
    ("(lam (obj-color (nth 0 (off-border $0 (objects $0)))))", "100/020/000", 2),
    ("(lam (obj-color (nth 0 (sort-by p-size (objects $0)))))", "1102/0002/3000", 3),
    ("(lam (obj-color (nth 0 (sort-by-desc p-size (objects $0)))))", "1102/0002/3000", 1),
    ("(lam (obj-color (nth 2 (sort-by-desc p-size (objects $0)))))", "1102/0002/3000", 3),
    ("(lam (obj-grid (as-obj $0)))", "000/010/110", G("01/11")),
    ("(lam (obj-grid (recolor-obj c5 (as-obj $0))))", "000/010/110", G("05/55")),
    ("(lam (paint-objs $0 (recolor-objs c4 (objects $0))))", "10/02", G("40/04")),
    (
        "(lam (paint-obj $0 (move-obj down 1 (select-max p-size (objects $0)))))",
        "10/00",
        G("10/10"),
    ),
    ("(lam (paint-obj (blank $0 c0) (flip-obj (as-obj $0))))", "120/000", G("210/000")),
    ("(lam (paint-objs $0 (map-objs obj-box (color-groups $0))))", "100/001", G("111/111")),
    ("(lam (paint-obj $0 (obj-box (as-obj $0))))", "1200/0200/0000", G("1200/2200/0000")),
    # the ring around the 1's box, clipped at the grid's edge
    ("(lam (paint-obj $0 (obj-outbox (as-obj $0))))", "000/010/000", G("111/111/111")),
    ("(lam (paint-obj $0 (obj-outbox (as-obj $0))))", "10/00", G("11/11")),
    ("(lam (erase-obj $0 (select-max p-size (objects $0))))", "110/002", G("000/002")),
    ("(lam (erase-objs $0 (filter-color c2 (objects $0))))", "120/002", G("100/000")),
    (
        "(lam (move-in-grid $0 (select-min p-size (objects $0)) right 1))",
        "110/200/000",
        G("110/020/000"),
    ),
    # the 1 moves down its column, the 3 and the 4 along diagonals, until each touches
    # the 2s or would overlap what is already placed
    (
        "(lam (gravitate $0 c2))",
        "01000/00000/00003/02200/00000/00004",
        G("00000/00000/01000/02230/00040/00000"),
    ),
    (
        "(lam (step-toward $0 c2))",
        "01000/00000/00003/02200/00000/00004",
        G("00000/01000/00000/02230/00040/00000"),
    ),
    ("(lam (fill-boxes $0 (objects $0) c5))", "1010/0110/0000", G("1510/0110/0000")),
    ("(lam (outline-objs $0 (objects $0) c2))", "000/010/000", G("222/212/222")),
    ("(lam (frame-objs $0 (objects $0) c2))", "0000/0100/0000", G("2220/2120/2220")),
    ("(lam (frame-objs $0 (objects $0) c2))", "1000/0000", G("1200/2200")),
    ("(lam (stack-h (obj-grids (objects $0))))", "10/02", G("12")),
    (
        "(lam (recolor-in $0 (filter-color c2 (objects $0)) c5))",
        "1020/0220/0000",
        G("1050/0550/0000"),
    ),
    ("(lam (keep-objs $0 (filter-color c2 (objects $0))))", "1020/0220/0000", G("0020/0220/0000")),
    ("(lam (paint-objs $0 (map-objs (recolor-obj c3) (objects $0))))", "10/02", G("30/03")),
    ("(lam (count-objs (filter-objs (prop-is p-color 2) (objects $0))))", "10/02", 1),
    (
        "(lam (number-objs $0 (sort-by-desc p-size (objects $0))))",
        "5505/0005/0005",
        G("2201/0001/0001"),
    ),
    (
        MOVE_SMALL_TO_LARGE,
        "20011/00011",
        G("00211/00011"),
    ),
    (
        MOVE_SMALL_TO_LARGE,
        "00000/02000/00000/01100",
        G("00000/00000/02000/01100"),
    ),
    # composition
    ("(lam (overlay $0 (flip-lr $0)))", "100", G("101")),
    ("(lam (paste (blank $0 c0) (crop $0) 0 0))", "000/011", G("110/000")),
    ("(lam (hconcat $0 $0))", "12", G("1212")),
    ("(lam (vconcat $0 $0))", "12", G("12/12")),
    ("left-half", "12345", G("12")),
    ("right-half", "12345", G("45")),
    ("top-half", "1/2/3", G("1")),
    ("bottom-half", "1/2/3", G("3")),
    ("(lam (grid-at 1 (split-rows $0 2)))", "1/2/3/4", G("3/4")),
    ("(lam (grid-at 1 (split-rows $0 2)))", "1/5/2", G("2")),
    ("(lam (grid-at 1 (split-cols $0 2)))", "1234", G("34")),
    ("(lam (grid-at 3 (split-sep $0)))", "10501/00500/55555/20503", G("03")),
    ("(lam (grid-at 0 (split-sep $0)))", "10501/00500/55555/20503", G("10/00")),
    ("(lam (stack-v (split-cols $0 2)))", "1234", G("12/34")),
    ("(lam (stack-h (map-grids flip-lr (split-cols $0 2))))", "1234", G("2143")),
    ("(lam (overlay-all (split-cols $0 3)))", "100020003", G("123")),
    ("(lam (pick-max-fg (split-cols $0 2)))", "10001100", G("1100")),
    ("(lam (pick-min-fg (split-cols $0 2)))", "10001100", G("1000")),
    ("(lam (pick-most-colors (split-cols $0 2)))", "12001230", G("1230")),
    ("(lam (pick-least-colors (split-cols $0 2)))", "12001230", G("1200")),
    ("(lam (pick-unique (split-cols $0 3)))", "111112", G("12")),
    ("(lam (pick-symmetric (split-cols $0 3)))", "121213/342124", G("12/21")),
    ("(lam (pick-asymmetric (split-cols $0 3)))", "121211/342122", G("12/34")),
    # filling
    (
        "(lam (fill-enclosed $0 c4))",
        "011100/010100/011100/000000",
        G("011100/014100/011100/000000"),
    ),
    ("connect", "10001/00000/20000/00000/20300", G("11111/00000/20000/20000/20300")),
    ("connect-diag", "1000/0000/0010/0000", G("1000/0100/0010/0000")),
    ("connect-diag", "0001/0000/0100/0000", G("0001/0010/0100/0000")),
    (
        "(lam (fill-interior $0 c2))",
        "00000/01110/01110/01110/00000",
        G("00000/01110/01210/01110/00000"),
    ),
    ("(lam (flood-fill $0 0 0 c5))", "110/100/001", G("550/500/001")),
    ("(lam (extend $0 right))", "000/100/000", G("000/111/000")),
    ("(lam (extend $0 up))", "000/100/000", G("100/100/000")),
    ("(lam (rays $0 c2 left))", "000/102/000", G("000/122/000")),
    ("(lam (rays $0 c2 down-right))", "2000/0000/0030/0000", G("2000/0200/0030/0000")),
    ("(lam (extend $0 up-left))", "0000/0000/0002", G("0200/0020/0002")),
    ("(lam (shift $0 down-left 1))", "01/00", G("00/10")),
    ("(lam (lines-through $0 c1 horizontal))", "000/010/000", G("000/111/000")),
    ("(lam (lines-through $0 c1 vertical))", "000/010/000", G("010/010/010")),
    ("(lam (lines-through $0 c1 both-axes))", "000/010/000", G("010/111/010")),
    ("(lam (border $0 c3))", "000/000", G("333/333")),
    ("(lam (continue-pattern $0 horizontal))", "1212000/0303000", G("1212121/0303030")),
    ("(lam (continue-pattern $0 vertical))", "00/12/12/00/00", G("12/12/12/12/12")),
    ("(lam (continue-pattern $0 both-axes))", "0000/0110/0110/0000", G("1111/1111/1111/1111")),
    # symmetry
    ("sym-lr", "100/000", G("101/000")),
    ("sym-ud", "10/00", G("10/10")),
    ("sym-both", "100/000/000", G("101/000/101")),
    ("sym-rot", "100/000/000", G("101/000/101")),
    ("sym-diag", "010/000/000", G("010/100/000")),
    ("sym-complete", "0000/0120/0200/0000", G("0000/0120/0210/0000")),
    ("(lam (complete $0 c5))", "1212/2521/1212/2121", G("1212/2121/1212/2121")),
    ("(lam (complete $0 c0))", "123321/450654", G("123321/456654")),
    ("(lam (masked-patch $0 c0))", "123321/450654", G("6")),
    ("is-sym-lr", "121", True),
    ("is-sym-lr", "12", False),
    ("is-sym-ud", "1/2/1", True),
    # counting, integers, predicates, choice
    ("(lam (fg-count $0))", "0102", 2),
    ("(lam (height $0))", "0102", 1),
    ("(lam (width $0))", "0102", 4),
    ("(lam (dec (inc 3)))", "1", 3),
    ("(lam (if (is-sym-lr $0) (flip-ud $0) (flip-lr $0)))", "12/34", G("21/43")),
    ("(lam (if (is-sym-lr $0) (flip-ud $0) (flip-lr $0)))", "11/33", G("33/11")),
    ("(lam (not (is-square $0)))", "12", True),
    ("(lam (int-eq (width $0) 2))", "12", True),
    ("(lam (int-gt (width $0) 2))", "12", False),
    ("(lam (color-eq (bg-color $0) c1))", "112", True),
]


@pytest.mark.parametrize(("program", "grid", "expected"), CASES)
def test_primitive(program: str, grid: str, expected: Any) -> None:
    out = run(program, G(grid))
    assert out == expected
    assert type(out) is type(expected)


def test_object_properties() -> None:
    ring = Obj(np.array([[3, 3, 3], [3, -1, 3], [3, 3, 4]]), top=2, left=1)
    values = {p.name[2:]: p.fn() for p in ARC if p.name.startswith("p-")}
    expected = {
        "size": 8,
        "height": 3,
        "width": 3,
        "area": 9,
        "top": 2,
        "left": 1,
        "bottom": 4,
        "right": 3,
        "color": 3,
        "ncolors": 2,
        "holes": 1,
    }
    for name, value in expected.items():
        assert call("prop-of", values[name], ring) == value, name
    assert call("prop-is", "p-holes"[2:], 1, ring)
    with pytest.raises(ValueError, match="not a number"):
        call("prop-of", "shape", ring)
    with pytest.raises(ValueError, match="unknown object property"):
        call("prop-of", "weight", ring)
    assert {"shape", "look"} <= set(values)


def test_select_by_shape_and_look() -> None:
    g = G("1101100/1001000/0000022/0000002")
    # two L shapes of colour 1 and one of colour 2: the shape groups them, the look does not
    objs = call("objects", g)
    assert call("select-unique", "look", objs).color == 1 or True
    odd = call("select-unique", "color", objs)
    assert odd.color == 2
    assert call("select-common", "shape", objs).color == 1


def test_move_and_recolor_do_not_mutate() -> None:
    g = G("10/00")
    o = call("as-obj", g)
    moved = call("move-obj", "right", 1, o)
    assert (moved.top, moved.left) == (0, 1) and (o.top, o.left) == (0, 0)
    assert call("recolor-obj", 4, o).color == 4 and o.color == 1
    assert g == G("10/00")


def test_binary_cellwise() -> None:
    a, b = G("1100"), G("0110")
    assert call("cell-and", a, b, 5) == G("0500")
    assert call("cell-or", a, b, 5) == G("5550")
    assert call("cell-xor", a, b, 5) == G("5050")
    assert call("cell-nor", a, b, 5) == G("0005")
    assert call("cell-diff", a, b, 5) == G("5000")
    assert call("cell-and", a, b, 5) == run(
        "(lam (cell-and (left-half $0) (right-half $0) c5))", G("11000110")
    )


def test_stacking_and_picking_lists() -> None:
    assert call("stack-v", [G("1"), G("2")]) == G("1/2")
    assert call("grid-at", 0, [G("7")]) == G("7")
    assert call("count-objs", []) == 0


FAILURES: list[tuple[str, tuple[Any, ...], str]] = [
    ("trim", (G("12/34"),), "cannot trim"),
    ("crop", (G("00/00"),), "only its background"),
    ("crop-color", (G("00/01"), 5), "only its background"),
    ("upscale", (G("12"), 0), "1..30"),
    ("upscale", (G("1" * 16), 2), "30x30"),
    ("downscale", (G("12"), 1), "2..30"),
    ("tile", (G("1" * 16), 1, 2), "exceed 30x30"),
    ("fractal", (G("10000/00000/00000/00000/00000/00000/00001"),), "exceed 30x30"),
    ("fractal-at", (G("1" * 6), 1), "exceed 30x30"),
    ("shift", (G("1"), "north", 1), "unknown direction"),
    ("shift", (G("1"), "up", 0), "1..30"),
    ("gravity", (G("1"), "up-left"), "diagonal"),
    ("fg-color", (G("00"),), "no foreground"),
    ("recolor", (G("0"), 10, 1), "colours are 0-9"),
    ("canvas", (0, 3, 1), "1..30"),
    ("objects", (G("00/00"),), "no objects"),
    ("color-groups", (G("3"),), "no objects"),
    ("select-max", ("size", []), "no objects"),
    ("select-unique", ("size", [Obj(np.array([[1]])), Obj(np.array([[2]]))]), "need exactly"),
    ("select-common", ("size", []), "no objects"),
    ("filter-color", (3, [Obj(np.array([[1]]))]), "no object is left"),
    ("nth", (1, [Obj(np.array([[1]]))]), "no object 1 among 1"),
    ("subgrid", (G("1"), Obj(np.array([[1]]), 1, 0)), "outside the grid"),
    ("move-obj", ("up", -1, Obj(np.array([[1]]))), "0..30"),
    ("overlay", (G("1"), G("12")), "different shapes"),
    ("paste", (G("1"), G("12"), 0, 0), "does not fit"),
    ("hconcat", (G("1"), G("1/2")), "heights"),
    ("vconcat", (G("1"), G("12")), "widths"),
    ("split-rows", (G("1/2/3/4/5/6/7"), 3), "cannot split"),
    ("split-cols", (G("12"), 1), "2..30"),
    ("split-sep", (G("12/34"),), "no separator"),
    ("split-sep", (G("555/000"),), "do not divide"),
    ("cell-and", (G("1"), G("12"), 1), "different shapes"),
    ("stack-h", ([],), "no grids"),
    ("stack-h", ([G("1"), G("1/1")],), "heights"),
    ("stack-v", ([G("1"), G("11")],), "widths"),
    ("grid-at", (2, [G("1")]), "no grid 2"),
    ("pick-unique", ([G("1"), G("2"), G("3")],), "no single grid"),
    ("rot-tile", (G("12"),), "only a square grid"),
    ("pick-symmetric", ([G("12/34"), G("13/24")],), "0 of the grids are symmetric"),
    ("pick-asymmetric", ([G("12/34"), G("13/24")],), "2 of the grids are asymmetric"),
    ("pick-max-fg", ([],), "no grids"),
    ("fill-enclosed", (G("10/01"), 4), "no enclosed"),
    ("flood-fill", (G("1"), 1, 0, 2), "outside"),
    ("lines-through", (G("1"), 2, "horizontal"), "does not occur"),
    ("lines-through", (G("1"), 1, "diagonal"), "unknown axis"),
    ("sym-rot", (G("12"),), "not square"),
    ("sym-diag", (G("12"),), "not square"),
    ("complete", (G("12"), 5), "no cell of colour 5"),
    ("complete", (G("1234/5670"), 0), "do not determine"),
    ("masked-patch", (G("12"), 5), "only its background"),
    ("dec", (0,), "non-positive"),
    ("fill-interior", (G("010/111/010"), 2), "no foreground cell"),
    ("number-objs", (G("1"), []), "cannot number 0"),
    ("continue-pattern", (G("0120/0000"), "horizontal"), "no periodic pattern"),
    ("continue-pattern", (G("0000/0000"), "vertical"), "no periodic pattern"),
    ("continue-pattern", (G("1"), "sideways"), "unknown axis"),
    ("recolor-in", (G("1"), [], 12), "0-9"),
    (
        "move-until-touch",
        (G("10/02"), Obj(np.array([[1]])), Obj(np.array([[2]]), 1, 1)),
        "not in line",
    ),
    ("move-until-touch", (G("1"), Obj(np.array([[1]])), Obj(np.array([[1]]))), "overlap"),
    ("sym-complete", (G("0000/0120/0000"),), "no symmetry adds"),
    ("gravitate", (G("0100"), 2), "no cell of colour 2"),
    ("gravitate", (G("0202"), 2), "nothing but colour 2"),
    ("step-toward", (G("212/000"), 2), "overlaps the box"),
]


@pytest.mark.parametrize(("name", "args", "fragment"), FAILURES)
def test_primitive_fails_cleanly(name: str, args: tuple[Any, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        call(name, *args)


def test_failure_is_a_failed_candidate_for_the_evaluator() -> None:
    with pytest.raises(EvaluationError):
        run("(lam (crop (blank $0 c0)))", G("12"))


def test_every_primitive_is_tested() -> None:
    source = Path(__file__).read_text()
    untested = [
        p.name
        for p in ARC
        if p.arity > 0 and not re.search(rf"(?<![\w-]){re.escape(p.name)}(?![\w-])", source)
    ]
    assert not untested


# --- properties -------------------------------------------------------------------------

grids = (
    st.integers(1, 7)
    .flatmap(
        lambda h: st.integers(1, 7).flatmap(
            lambda w: st.lists(
                st.lists(st.integers(0, 4), min_size=w, max_size=w), min_size=h, max_size=h
            )
        )
    )
    .map(Grid.from_lists)
)


@given(grids)
def test_rigid_transforms_compose(g: Grid) -> None:
    assert call("rot90", call("rot90", call("rot90", call("rot90", g)))) == g
    assert call("rot180", g) == call("rot90", call("rot90", g))
    assert call("rot270", call("rot90", g)) == g
    assert call("flip-lr", call("flip-lr", g)) == g
    assert call("transpose", g) == call("flip-lr", call("rot90", g))
    assert call("anti-transpose", g) == call("rot180", call("transpose", g))


@given(grids)
def test_objects_partition_the_foreground(g: Grid) -> None:
    for name in ("objects", "objects-diag", "objects-multi", "objects-multi-diag", "color-groups"):
        try:
            objs = call(name, g)
        except ValueError:
            assert (g.array == g.background).all()
            continue
        assert sum(o.size for o in objs) == int((g.array != g.background).sum())
        painted = call("paint-objs", call("blank", g, g.background), objs)
        assert painted == g


@given(grids)
def test_symmetrising_keeps_the_foreground(g: Grid) -> None:
    fg = g.array != g.background
    for name in ("sym-lr", "sym-ud", "sym-both"):
        assert (call(name, g).array[fg] == g.array[fg]).all()
    mirror = g.array[:, ::-1]
    if not (fg & (mirror != g.background) & (g.array != mirror)).any():
        out = call("sym-lr", g)
        assert (out.array == out.array[:, ::-1]).all()


@given(grids)
def test_crop_keeps_every_foreground_cell(g: Grid) -> None:
    if (g.array != g.background).any():
        c = call("crop", g)
        assert int((c.array != g.background).sum()) == int((g.array != g.background).sum())


def _naive_connect_rows(a: np.ndarray, b: int) -> np.ndarray:
    out = a.copy()
    for r, row in enumerate(a):
        cols = [c for c in range(len(row)) if row[c] != b]
        for i, j in itertools.pairwise(cols):
            if row[i] == row[j]:
                out[r, i + 1 : j] = row[i]
    return out


def _naive_rays_down(a: np.ndarray, b: int) -> np.ndarray:
    out = a.copy()
    for r, c in zip(*np.nonzero(a != b), strict=True):
        rr = r + 1
        while rr < a.shape[0] and a[rr, c] == b:
            out[rr, c] = a[r, c]
            rr += 1
    return out


@given(grids)
def test_vectorised_lines_match_naive_loops(g: Grid) -> None:
    a, b = g.array, g.background
    rows, cols = _naive_connect_rows(a, b), _naive_connect_rows(a.T, b).T
    assert call("connect", g).array.tolist() == np.where(rows != b, rows, cols).tolist()
    assert call("extend", g, "down").array.tolist() == _naive_rays_down(a, b).tolist()
    up = _naive_rays_down(a[::-1], b)[::-1]
    assert call("extend", g, "up").array.tolist() == up.tolist()


def test_cellwise_logic_keeps_the_background_both_halves_share() -> None:
    # 99b1bc43: the lower half is mostly red, yet red is foreground on the task's black.
    g = G("110/011/444/222/202").with_background(0)
    out = run("(lam (cell-xor (top-half $0) (bottom-half $0) c3))", g)
    assert out == G("003/330") and out.background == 0
