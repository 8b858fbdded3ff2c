"""Neural modules in programs: naming, differentiable = hard execution, training, storage."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hylo.domains.digits import DIGITS
from hylo.domains.task import Task, make_task
from hylo.lang import Evaluator, HyloError, ParseError, infer, parse, parse_type, show, show_type
from hylo.library import open_library
from hylo.search.neural import (
    CandidateRecord,
    NeuralSynthesizer,
    _comparable,
    _reuse_nats,
    canonical,
    module_productions,
    propose_programs,
    propose_variants,
    redundant,
)
from hylo.train.neural import (
    ModuleLibrary,
    ModuleRef,
    ModuleSpec,
    NeuralModule,
    NeuralNamespace,
    TrainConfig,
    bind,
    encode_examples,
    evaluate,
    instantiate_modules,
    module_from_bytes,
    soft_run,
    train_program,
    weights_bytes,
)
from hylo.train.neural.modules import shift_images
from hylo.train.neural.soft import SoftList, convolve

NS = NeuralNamespace(DIGITS.namespace)


def program(text: str) -> Any:
    return parse(text, NS)


# --- names, parsing, types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tp"),
    [
        ("(lam (sum (map nn:digit#0 $0)))", "list(image) -> int"),
        ("(lam (count nn:pred@3 $0))", "list(image) -> int"),
        ("(lam (eq? (nn:digit#1~4 $0) 7))", "image -> bool"),
        ("(lam (nn:vdigit#0 (nn:vmap#1 (nn:embed#2 $0))))", "image -> int"),
    ],
)
def test_programs_with_modules_print_parse_and_type(text: str, tp: str) -> None:
    p = program(text)
    assert show(p) == text
    assert parse(show(p), NS) == p
    assert show_type(infer(p)) == tp


def test_module_names_round_trip_and_bad_names_are_clean_errors() -> None:
    for name in ("nn:digit#0", "nn:pred@12", "nn:digit#3~7", "nn:pred#2^7"):
        assert ModuleRef.parse(name).name == name
    assert ModuleRef.parse("nn:pred#2^7").trunk and not ModuleRef.parse("nn:pred#2~7").trunk
    with pytest.raises(HyloError, match="only a fresh module"):
        ModuleRef("pred", artifact=7, trunk=True)
    with pytest.raises(HyloError, match="unknown neural template"):
        ModuleRef.parse("nn:nope#0")
    with pytest.raises(ParseError, match="unknown name"):
        program("(lam (nn:nope#0 $0))")


def test_unbound_module_says_how_to_bind() -> None:
    p = program("(lam (nn:digit#0 $0))")
    with pytest.raises(HyloError, match="bind"):
        Evaluator().function(p)(np.zeros((2, 2), np.float32))


# --- differentiable execution agrees with hard execution ------------------------------------


def confident_modules(p: Any, shape: tuple[int, ...], seed: int) -> dict[str, NeuralModule]:
    """Random modules whose last layer is scaled up, so their outputs are near one-hot."""
    modules = instantiate_modules(p, shape, seed=seed, hidden=(8,))
    with torch.no_grad():
        for m in modules.values():
            last = m.net[-1]
            assert isinstance(last, torch.nn.Linear)
            last.weight.mul_(1000.0)
            last.bias.mul_(1000.0)
    return modules


def confident(module: NeuralModule, images: torch.Tensor) -> bool:
    """Every output puts more than 0.999 on one value."""
    with torch.no_grad():
        out = module(images)
    top = out.max(-1).values if out.dim() == 2 else torch.maximum(out, 1 - out)
    return bool((top > 0.999).all())


LIST_PROGRAMS = [
    "(lam (sum (map nn:digit#0 $0)))",
    "(lam (maximum (map nn:digit#0 $0)))",
    "(lam (count nn:pred#0 $0))",
    "(lam (length (filter nn:pred#0 $0)))",
    "(lam (sum (map nn:digit#0 (filter nn:pred#1 $0))))",
    "(lam (count (lam (gt? (nn:digit#0 $0) 4)) $0))",
    "(lam (+ (sum (map nn:digit#0 $0)) (count (lam (eq? (nn:digit#0 $0) 3)) $0)))",
]


@pytest.mark.parametrize("text", LIST_PROGRAMS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(seed=st.integers(0, 10_000), lengths=st.lists(st.integers(0, 6), min_size=1, max_size=5))
def test_soft_execution_equals_hard_execution_when_confident(
    text: str, seed: int, lengths: list[int]
) -> None:
    p = program(text)
    rng = np.random.default_rng(seed)
    lists = [[rng.random((2, 2)).astype(np.float32) for _ in range(n)] for n in lengths]
    modules = confident_modules(p, (2, 2), seed)
    hard = Evaluator().function(bind(p, modules))
    expected = [hard(xs) for xs in lists]
    flat = [x for xs in lists for x in xs]
    items = torch.as_tensor(np.stack(flat)) if flat else torch.zeros(0, 2, 2)
    seg = torch.repeat_interleave(torch.arange(len(lists)), torch.tensor(lengths))
    assume(all(confident(m, items) for m in modules.values()))
    dist = soft_run(p, (SoftList(items, seg, len(lists)),), modules)
    assert dist.shape[0] == len(lists)
    assert [int(v) for v in dist.argmax(-1)] == expected
    assert bool((dist.max(-1).values > 0.99).all())
    assert torch.allclose(dist.sum(-1), torch.ones(len(lists)), atol=1e-4)


def test_single_image_programs_agree_too() -> None:
    p = program("(lam (not (eq? (nn:digit#0 $0) 2)))")
    modules = confident_modules(p, (4,), 1)
    xs = [np.random.default_rng(k).random(4).astype(np.float32) for k in range(20)]
    hard = Evaluator().function(bind(p, modules))
    soft = soft_run(p, (torch.as_tensor(np.stack(xs)),), modules)
    assert [bool(v > 0.5) for v in soft] == [hard(x) for x in xs]


def test_sum_and_count_are_exact_distributions() -> None:
    a = torch.tensor([[0.2, 0.8, 0.0]])
    b = torch.tensor([[0.5, 0.0, 0.5]])
    assert torch.allclose(convolve(a, b), torch.tensor([[0.1, 0.4, 0.1, 0.4, 0.0]]))
    # count of three independent coin flips with p = 0.5: Binomial(3, 0.5)
    q = torch.full((3,), 0.5)
    p = program("(lam (count (lam (gt? $0 0)) $0))")
    ints = torch.stack([1 - q, q], dim=-1)
    out = soft_run(p, (SoftList(ints, torch.zeros(3, dtype=torch.long), 1),), {})
    assert torch.allclose(out, torch.tensor([[1, 3, 3, 1]]) / 8.0)


def test_maximum_matches_enumeration() -> None:
    dists = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    p = program("(lam (maximum $0))")
    out = soft_run(p, (SoftList(dists, torch.zeros(2, dtype=torch.long), 1),), {})[0]
    expected = torch.zeros(3)
    for i, j in itertools.product(range(3), range(3)):
        expected[max(i, j)] += dists[0, i] * dists[1, j]
    assert torch.allclose(out, expected)


# --- learning inside a program ---------------------------------------------------------------


def bright_lists(n: int, lengths: tuple[int, int], seed: int) -> list[tuple[list[Any], int]]:
    """Lists of 2×2 images that are bright (class 1) or dark (class 0), plus noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        labels = rng.integers(0, 2, size=int(rng.integers(lengths[0], lengths[1] + 1)))
        images = [
            (np.full((2, 2), 0.8 * y + 0.1) + rng.normal(0, 0.1, (2, 2))).astype(np.float32)
            for y in labels
        ]
        out.append((images, int(labels.sum())))
    return out


def count_task(n: int, seed: int = 0) -> Task:
    train = [((xs,), y) for xs, y in bright_lists(n, (1, 4), seed)]
    test = [((xs,), y) for xs, y in bright_lists(100, (5, 7), seed + 1)]
    return make_task("count-bright", parse_type("list(image) -> int"), train, test, "digits")


def is_bright_task(n: int, seed: int = 0) -> Task:
    pairs = [(xs[0], y) for xs, y in bright_lists(n, (1, 1), seed)]
    test = [(xs[0], y) for xs, y in bright_lists(100, (1, 1), seed + 1)]
    return make_task(
        "is-bright",
        parse_type("image -> bool"),
        [((x,), bool(y)) for x, y in pairs],
        [((x,), bool(y)) for x, y in test],
        "digits",
    )


def test_two_class_task_is_learned_from_counts_alone() -> None:
    torch.manual_seed(0)
    task = count_task(60)
    p = program("(lam (count nn:pred#0 $0))")
    data = encode_examples([(e.inputs, e.output) for e in task.train], task.request)
    test = encode_examples([(e.inputs, e.output) for e in task.test], task.request)
    train, val = data.split(0.2, 0)
    modules = instantiate_modules(p, (2, 2))
    before, _ = evaluate(p, test, modules)
    result = train_program(p, train, val, modules, TrainConfig(epochs=60, patience=10, lr=0.03))
    after, rmse = evaluate(p, test, modules)
    assert result.trained and result.epochs > 0
    assert after >= 0.95 > before  # longer lists than in training, labels never seen
    assert rmse < 0.3


def test_search_finds_the_counting_structure() -> None:
    task = count_task(40)
    synth = NeuralSynthesizer(max_candidates=4, epochs=40, patience=10, lr=0.03).fit(task)
    assert synth.program_ is not None
    assert canonical(synth.program_) == "(count nn:pred#0)"
    assert synth.score(task) >= 0.9
    assert synth.stats_.num_trained >= 2
    assert synth.predict([([task.test[0].inputs[0][0]],)])[0] in (0, 1)


def test_structures_equal_up_to_eta_and_numbering_are_proposed_once() -> None:
    grammar = NeuralSynthesizer().grammar()
    seen = [
        canonical(p)
        for p in itertools.islice(propose_programs(parse_type("list(image) -> int"), grammar), 30)
    ]
    assert len(seen) == len(set(seen))
    assert "(count nn:pred#0)" in seen
    assert canonical(program("(lam (count (lam (nn:pred#5 $0)) $0))")) == "(count nn:pred#0)"
    assert redundant(program("(lam (sum (map (lam $0) (map nn:digit#0 $0))))"))


# --- the library of modules ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec", [ModuleSpec("digit", 64, (16,)), ModuleSpec("digit", 784, (16,), (28, 28))]
)
def test_modules_round_trip_through_safetensors_bit_for_bit(spec: ModuleSpec) -> None:
    module = NeuralModule(spec)
    data = weights_bytes(module)
    again = module_from_bytes(module.spec, data)
    assert weights_bytes(again) == data
    for (k, a), (k2, b) in zip(
        module.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(a, b)
    assert ModuleSpec.from_json(module.spec.to_json()) == module.spec
    with pytest.raises(HyloError, match="do not fit"):
        module_from_bytes(ModuleSpec("pred", spec.input_dim, (16,), spec.image_shape), data)


def test_large_images_are_read_by_a_cnn_small_ones_by_an_mlp() -> None:
    p = parse("(lam (nn:digit#0 $0))", NS)
    (small,) = instantiate_modules(p, image_shape=(8, 8)).values()
    (large,) = instantiate_modules(p, image_shape=(28, 28)).values()
    assert small.spec.to_json()["format"] == "hylo-mlp-v1"
    assert large.spec.to_json()["format"] == "hylo-cnn-v1"
    assert any(isinstance(m, torch.nn.Conv2d) for m in large.modules())
    assert not any(isinstance(m, torch.nn.Conv2d) for m in small.modules())
    # Flat or not, a batch of images gives one distribution per image.
    large.eval()
    x = torch.rand(5, 28, 28)
    assert torch.allclose(large(x), large(x.reshape(5, 784)))
    assert large(x).shape == (5, 10) and torch.allclose(large(x).sum(-1), torch.ones(5))


def test_a_cnn_reader_shifts_images_while_training_only() -> None:
    torch.manual_seed(0)
    x = torch.zeros(200, 6, 7)
    x[:, 3, 2] = 1.0  # one lit pixel, inside the frame after any shift of 2
    moved = shift_images(x.reshape(200, 42), (6, 7), 2).reshape(200, 6, 7)
    assert moved.shape == x.shape and torch.all(moved.sum((1, 2)) == 1.0)
    where = {(int(r), int(c)) for _, r, c in moved.nonzero().tolist()}
    assert where == {(3 + dy, 2 + dx) for dy in range(-2, 3) for dx in range(-2, 3)}
    edge = torch.zeros(50, 6, 7)
    edge[:, 0, 0] = 1.0  # shifted out of the frame it is lost, never wrapped around
    assert shift_images(edge, (6, 7), 2).sum() < 50
    (large,) = instantiate_modules(parse("(lam (nn:digit#0 $0))", NS), (28, 28)).values()
    img = torch.rand(4, 28, 28)
    large.train()
    assert not torch.allclose(large(img), large(img))
    large.eval()
    assert torch.equal(large(img), large(img))


def test_modules_round_trip_through_the_library_store(tmp_path: Path) -> None:
    module = NeuralModule(ModuleSpec("pred", 4, (8,)))
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        ref = ModuleLibrary(store).save(module, "is-bright/pred", {"task": "is-bright"})
    with open_library(tmp_path / "lib.db", create=False) as store:
        library = ModuleLibrary(store)
        loaded = library.load(ref)
        assert weights_bytes(loaded) == weights_bytes(module)
        assert [m.id for m in library.modules("pred")] == [ref]
        assert library.modules("digit") == []
        assert not any(q.requires_grad for q in loaded.parameters())


def test_library_module_is_reused_not_retrained(tmp_path: Path) -> None:
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        library = ModuleLibrary(store)
        first = NeuralSynthesizer(max_candidates=2, epochs=60, patience=10, lr=0.03)
        first.fit(is_bright_task(60))
        stored = first.save_modules(
            library, is_bright_task(60), {"accuracy": first.score(is_bright_task(60))}
        )
        (module_id,) = [m.id for m in library.modules()]
        assert show(stored) == f"(lam (nn:pred@{module_id} $0))"
        weights = weights_bytes(library.load(module_id))

        task = count_task(10)
        second = NeuralSynthesizer(library=library, max_candidates=3, epochs=5, finetune=False).fit(
            task
        )
        assert second.program_ is not None
        assert canonical(second.program_) == f"(count nn:pred@{module_id})"
        reused = [c for c in second.stats_.candidates if f"@{module_id}" in c.program]
        assert reused and not reused[0].trained and reused[0].epochs == 0
        assert second.score(task) >= 0.95
        second.save_modules(library, task, {})
        assert [m.id for m in library.modules()] == [module_id]  # nothing new to keep
        assert weights_bytes(library.load(module_id)) == weights


def test_a_module_on_another_modules_trunk_shares_every_layer_but_the_output(
    tmp_path: Path,
) -> None:
    torch.manual_seed(0)
    digit = NeuralModule(ModuleSpec("digit", 784, (16,), (28, 28)))
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        library = ModuleLibrary(store)
        ref = library.save(digit, "sum/digit", {})
        p = program(f"(lam (nn:pred#0^{ref} $0))")
        pred = instantiate_modules(p, (28, 28), library)[f"nn:pred#0^{ref}"]
        assert all(q.requires_grad for q in pred.parameters())  # fine-tuned, trunk included
        x = torch.rand(5, 784)
        assert torch.equal(pred.net[:-1].eval()(x), digit.net[:-1].eval()(x))
        assert pred.net[-1].weight.shape == (1, 16)  # a new output layer: one logit
        with pytest.raises(HyloError, match="only its trunk"):
            instantiate_modules(program(f"(lam (nn:pred#0~{ref} $0))"), (28, 28), library)
        with pytest.raises(HyloError, match="read different inputs"):
            instantiate_modules(p, (8, 8), library)


def test_library_modules_are_offered_frozen_fine_tuned_and_as_trunks(tmp_path: Path) -> None:
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        library = ModuleLibrary(store)
        digit = library.save(NeuralModule(ModuleSpec("digit", 64, (16,))), "d", {})
        small = library.save(NeuralModule(ModuleSpec("pred", 4, (8,))), "p", {})
        # AutoML keeps its classifiers as modules with an architecture program: not ours.
        store.put_artifact("module", "automl", {"architecture": "(dense 16)"}, {"w": b""})
        names = [p.name for p in module_productions(("digit", "pred"), library, image_size=64)]
        assert names == [
            "nn:digit#0",  # fresh modules first, named as without a library
            "nn:pred#1",
            f"nn:digit@{digit}",
            f"nn:digit#2~{digit}",
            f"nn:digit#3^{digit}",
            f"nn:pred#4^{digit}",  # a pred on the digit classifier's features
        ]  # the pred reading 2×2 images cannot read these 8×8 ones
        frozen = module_productions(("pred",), library, finetune=False)
        assert [p.name for p in frozen] == ["nn:pred#0", f"nn:pred@{small}"]


def test_folds_hold_every_example_out_exactly_once() -> None:
    data = encode_examples(
        [((x,), bool(x > 0.5)) for x in np.linspace(0, 1, 13)], parse_type("vector -> bool")
    )
    folds = data.folds(5, seed=0)
    assert len(folds) == 5
    held = sorted(float(v) for _, val in folds for v in val.args[0].data.flatten())
    assert held == sorted(float(v) for v in data.args[0].data.flatten())
    for train, val in folds:
        assert len(train) + len(val) == len(data)


def test_training_may_run_min_steps_updates_on_few_examples() -> None:
    config = TrainConfig(epochs=60, batch_size=32, min_steps=200)
    assert config.epochs_for(24) == 200  # one update an epoch
    assert config.epochs_for(80) == 67
    assert config.epochs_for(10_000) == 60


def test_finalists_on_few_examples_are_cross_validated_and_the_winner_refit() -> None:
    task = count_task(40)  # 8 validation lists
    synth = NeuralSynthesizer(max_candidates=3, epochs=30, patience=5, lr=0.03).fit(task)
    finalists = [c for c in synth.stats_.candidates if c.refit_epochs is not None]
    assert len(finalists) == 2
    # at most min_steps (200) epochs: 32 training lists are one update an epoch
    assert all(1 <= c.refit_epochs <= 200 for c in finalists)  # type: ignore[operator]
    assert synth.score(task) >= 0.9


def test_a_screen_on_a_few_examples_makes_every_candidate_a_finalist() -> None:
    synth = NeuralSynthesizer(finalists=2)
    assert [synth._num_finalists(n, trained=9) for n in (1, 2, 4, 5, 20, 500)] == [
        9, 9, 9, 2, 2, 2,
    ]  # fmt: skip


def test_a_screened_candidate_never_beats_cross_validated_finalists() -> None:
    """Screened on two easy validation examples, a candidate's loss is not comparable
    with the finalists' cross-validated loss on every example."""

    def scored(text: str, trained: bool, loss: float, refit: int | None) -> Any:
        record = CandidateRecord(text, trained, 1.0, loss, 3, 0.1, refit_epochs=refit)
        return record, None, {}

    finalist = scored("(lam (count nn:pred#0 $0))", True, 1.5, refit=9)
    screened = scored("(lam (count nn:pred#1 $0))", True, 0.1, refit=None)
    frozen = scored("(lam (count nn:pred@1 $0))", False, 2.0, refit=None)
    assert _comparable([finalist, screened, frozen]) == [finalist, frozen]
    assert _comparable([screened, frozen]) == [screened, frozen]  # no cross-validation


def test_a_library_variant_costs_the_log_of_the_variants_offered(tmp_path: Path) -> None:
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        library = ModuleLibrary(store)
        a = library.save(NeuralModule(ModuleSpec("pred", 64, (8,))), "a", {})
        b = library.save(NeuralModule(ModuleSpec("pred", 64, (8,))), "b", {})
        productions = module_productions(("pred",), library, image_size=64)
        nats = _reuse_nats(productions)
    variants = [p.name for p in productions if ModuleRef.parse(p.name).artifact]
    assert len(variants) == 6  # frozen, fine-tuned and trunk of each of two modules
    assert f"nn:pred@{a}" in variants and f"nn:pred#4^{b}" in variants
    assert nats == {name: pytest.approx(math.log(6)) for name in variants}  # fresh: free


def test_library_variants_follow_their_structure_each_checked_on_its_own() -> None:
    grammar = NeuralSynthesizer(templates=("pred",)).grammar()
    variants = {"pred": [program("nn:pred@7"), program("nn:pred#1~7")]}
    found = list(
        itertools.islice(propose_variants(parse_type("list(image) -> int"), grammar, variants), 12)
    )
    texts = [canonical(p.program) for p in found]
    assert texts[:3] == ["(count nn:pred#0)", "(count nn:pred@7)", "(count nn:pred#0~7)"]
    assert [p.fresh for p in found[:3]] == [True, False, False]
    assert {p.structure for p in found[:3]} == {"(count nn:pred#0)"}
    # a fresh module learns a negation itself; a frozen one cannot
    assert "(count (lam (not (nn:pred@7 $0))))" in texts
    assert "(count (lam (not (nn:pred#0 $0))))" not in texts


def test_a_library_adds_candidates_and_displaces_none(tmp_path: Path) -> None:
    """The candidates with fresh modules are the ones the search without a library
    trains, scored alike; a library module's variants come on top, in the two
    structures that the fresh finalists and the frozen modules rank best."""
    task = count_task(20)  # 4 validation lists: every candidate is a finalist
    settings = {"max_candidates": 3, "epochs": 4, "screen_epochs": 2, "min_steps": 0}
    alone = NeuralSynthesizer(**settings).fit(task)  # type: ignore[arg-type]
    with open_library(tmp_path / "lib.db", domain="digits") as store:
        library = ModuleLibrary(store)
        library.save(NeuralModule(ModuleSpec("pred", 4, (8,))), "p", {})
        hylo = NeuralSynthesizer(library=library, **settings).fit(task)  # type: ignore[arg-type]

    def fresh(synth: NeuralSynthesizer) -> list[tuple[str, float]]:
        return [
            (c.program, c.val_loss) for c in synth.stats_.candidates if not _reuses_text(c.program)
        ]

    assert fresh(hylo) == fresh(alone)
    fresh_records = [c for c in hylo.stats_.candidates if not _reuses_text(c.program)]
    reused = [c for c in hylo.stats_.candidates if c.trained and _reuses_text(c.program)]
    honest = [
        c
        for c in hylo.stats_.candidates
        if not c.trained or (c in fresh_records and c.refit_epochs is not None)
    ]  # the frozen and the cross-validated fresh candidates
    ranked = sorted(honest, key=lambda c: c.score(len(task.train)))
    top = list(dict.fromkeys(c.structure for c in ranked))[:2]
    assert reused and all(c.structure in top for c in reused)  # screened for the best two
    assert all(c.refit_epochs is not None for c in reused)  # finalists, on 4 validation lists


def _reuses_text(text: str) -> bool:
    return any(mark in text for mark in "@~^")
