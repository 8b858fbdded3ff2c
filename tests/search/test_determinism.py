"""Search results do not depend on the process (hash seeds differ between processes)."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json
from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.search import EnumerativeSynthesizer
task = {t.name: t for t in bundled_list_tasks()}["kth-smallest with k=5"]
result = EnumerativeSynthesizer(timeout_s=60, max_programs=20_000, top_k=3).search(task)
print(json.dumps([str(c) for c in result.candidates] + [result.stats.programs]))
"""


def run_with_hash_seed(seed: str) -> list:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_same_programs_in_every_process():
    first = run_with_hash_seed("1")
    assert first[0] == "(lam (index 4 (sort $0)))"
    assert run_with_hash_seed("2") == first
