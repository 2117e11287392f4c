#!/usr/bin/python3
"""Times the `sentencepiece` library (Debian python3-sentencepiece) encoding every line of a text
file, for `dlm bench tokenize` to compare a SentencePiece model against. Same output as
bench_tokenizers.mjs, one JSON object:
  batch_mb_per_s   encode(list of all lines) (sentencepiece's own thread pool; one thread when
                   TOKENIZERS_PARALLELISM=false, the fair single-thread figure)
  single_mb_per_s  one encode() call per line (includes Python's per-call overhead)
  tokens_per_s     tokens per second of the batch run; bytes = UTF-8 bytes of the lines
Each figure is the best of several timed passes after a warm-up pass.

Usage: /usr/bin/python3 tools/reference/bench_sentencepiece.py --tokenizer MODEL --input FILE [--seconds S]
"""
import argparse
import json
import os
import time

import sentencepiece as spm


def best_of(seconds, fn):
    result = fn()  # warm-up
    best, total = float("inf"), 0.0
    while total < seconds:
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best, total = min(best, dt), total + dt
    return best, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--seconds", type=float, default=3)
    a = ap.parse_args()
    model = a.tokenizer
    if os.path.isdir(model):
        model = next(os.path.join(model, n) for n in ("spm.model", "tokenizer.model") if os.path.exists(os.path.join(model, n)))
    parallel = os.environ.get("TOKENIZERS_PARALLELISM", "true") != "false"
    sp = spm.SentencePieceProcessor(model_file=model, num_threads=-1 if parallel else 1)
    with open(a.input, encoding="utf-8") as f:
        lines = [l.rstrip("\r\n") for l in f]
    lines = [l for l in lines if l]
    nbytes = sum(len(l.encode("utf-8")) for l in lines)
    batch_s, tokens = best_of(a.seconds, lambda: sum(len(x) for x in sp.encode(lines)))
    single_s, _ = best_of(a.seconds, lambda: sum(len(sp.encode(l)) for l in lines))
    print(json.dumps({
        "library": f"sentencepiece {spm.__version__} (Python)",
        "parallelism": "default" if parallel else "false",
        "lines": len(lines), "bytes": nbytes, "tokens": tokens,
        "batch_mb_per_s": nbytes / 1e6 / batch_s,
        "single_mb_per_s": nbytes / 1e6 / single_s,
        "tokens_per_s": tokens / batch_s,
    }))


if __name__ == "__main__":
    main()
