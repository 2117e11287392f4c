#!/usr/bin/env python3
"""Unigram entropy of a pretrain token cache (docs/from-scratch.md).

The loss a model reaches when it ignores context entirely is the cross-entropy of the val tokens
under the train split's unigram distribution; the plug-in entropy of the val tokens' own unigram
distribution is the (slightly lower) bound for a context-free predictor fitted to val itself. A
model whose val loss is clearly below both uses context.

usage: /usr/bin/python3 tools/reference/unigram_entropy.py CACHE_DIR [VOCAB_SIZE]
  CACHE_DIR: <pretrain_token_cache>/<source>, holding meta.json, train/ and val/.
Prints one JSON object: tokens per split, the val entropy and the cross-entropy (nats and bits).
"""
import glob
import json
import math
import os
import sys

import numpy as np


def load(split_dir, dtype):
    parts = [np.fromfile(f, dtype=dtype) for f in sorted(glob.glob(os.path.join(split_dir, "shard_*.bin")))]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def main():
    cache = sys.argv[1]
    meta = json.load(open(os.path.join(cache, "meta.json")))
    vocab = int(sys.argv[2]) if len(sys.argv) > 2 else int(meta["vocab_size"])
    dtype = {"uint16-le": "<u2", "uint32-le": "<u4"}[meta["token_dtype"]]
    train, val = load(os.path.join(cache, "train"), dtype), load(os.path.join(cache, "val"), dtype)
    tc = np.bincount(train, minlength=vocab).astype(np.float64)
    vc = np.bincount(val, minlength=vocab).astype(np.float64)
    pv = vc[vc > 0] / vc.sum()
    val_entropy = float(-(pv * np.log(pv)).sum())
    # Train unigram with add-one smoothing, so a val token unseen in train has a finite cost.
    pt = (tc + 1) / (tc.sum() + vocab)
    cross = float(-(vc * np.log(pt)).sum() / vc.sum())
    print(json.dumps({
        "cache": cache, "vocab_size": vocab, "train_tokens": int(tc.sum()), "val_tokens": int(vc.sum()),
        "val_unigram_entropy_nats": round(val_entropy, 4), "val_unigram_entropy_bits": round(val_entropy / math.log(2), 4),
        "val_cross_entropy_under_train_unigram_nats": round(cross, 4), "uniform_nats": round(math.log(vocab), 4),
    }))


if __name__ == "__main__":
    main()
