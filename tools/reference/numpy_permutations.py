#!/usr/bin/python3
"""Permutations from NumPy's default generator, the shuffle Hugging Face datasets uses
(`Dataset.shuffle(seed)` is `np.random.default_rng(seed).permutation(len(ds))`).

Writes tests/fixtures/training/numpy_permutations.json: for each (seed, n) the full permutation,
the SeedSequence state words and the first raw PCG64 outputs, so dlm's SeedSequence, PCG64 and
shuffle can be checked step by step. Run with Debian's python3-numpy:

    /usr/bin/python3 tools/reference/numpy_permutations.py
"""
import json
import os

import numpy as np

CASES = [(0, 1), (0, 2), (0, 10), (0, 100), (1, 7), (42, 1000), (12345, 257), (2**32 + 5, 50), (2**70 + 3, 33), (7, 9500)]


def main():
    out = {"numpy": np.__version__, "cases": []}
    for seed, n in CASES:
        state = np.random.SeedSequence(seed).generate_state(4, np.uint64)
        raw = np.random.PCG64(seed).random_raw(4)
        out["cases"].append({
            "seed": str(seed),
            "n": n,
            "seed_state": [str(int(x)) for x in state],
            "raw": [str(int(x)) for x in raw],
            "permutation": [int(x) for x in np.random.default_rng(seed).permutation(n)],
        })
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "training", "numpy_permutations.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
