#!/usr/bin/python3
"""Reference fixtures for dlm's optimizer (src/Dlm.Models/Optim), from PyTorch.

Run:   /usr/bin/python3 tools/reference/torch_optim.py   (Debian python3-torch 1.13, CPU; seconds)
Writes (committed, ~0.5 MB):
  tests/fixtures/optim/adamw.safetensors  for each case: the flat parameter arena before training,
      the raw gradients of every step, and after each step the pre-clip global norm, the
      learning rate, the clipped gradients, the parameters and both AdamW moments, all laid out
      in one flat arena (llm.c style) exactly as the C# optimizer sees it. The layout (ranges,
      gaps, options, schedule) is JSON in the file's __metadata__ under "cases".
  tests/fixtures/optim/schedules.json      learning rates at every step of several schedules:
      niels-gpt pretraining (its lr_at_step formula), tinker-cookbook (its multiplier formula),
      torch.optim.lr_scheduler.LinearLR warmup from a start factor, Hugging Face style
      warmup + linear/cosine decay.

Each training step does what niels-gpt's loop does: set the group learning rates from the
schedule, clip_grad_norm_(params, 1.0), torch.optim.AdamW.step(). Parameters live in separate
tensors in two groups (decay / no decay); the arena holds them at their offsets with untrained
gaps between some of them, whose gradient is zero and whose values must stay unchanged.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "optim")

# name, length, decay, parameter init, gradient scale
RANGES = [
    ("tok_emb.weight", 16 * 24, True, ("normal", 0.02), 1e-2),
    ("blocks.0.attn.qkv.weight", 24 * 24, True, ("normal", 0.02), 1e-1),
    ("blocks.0.ln1.weight", 24, False, ("ones_noise", 0.01), 1e-3),
    ("blocks.0.mlp.fc_a.bias", 37, False, ("zeros", 0.0), 1e-1),  # odd length: scalar tail
    ("big.weight", 129, True, ("normal", 10.0), 5.0),             # large values
    ("tiny.bias", 19, False, ("normal", 1e-3), 1e-7),             # gradients near eps
]
GAP_AFTER = {"blocks.0.ln1.weight": 5, "big.weight": 11}  # untrained elements in the arena
STEPS = 8
# Global gradient norms targeted per step: above and below the clip threshold 1.0.
TARGET_NORMS = [3.0, 0.5, 1.5, 0.2, 10.0, 0.9, 2.0, 0.05]


def niels_lr(step, total_steps, base_lr, warmup_steps, min_lr):
    """niels-gpt niels_gpt/lr_schedule.py lr_at_step (REFERENCE.md R1)."""
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    decay_progress = (step - warmup_steps) / (total_steps - warmup_steps)
    lr = min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * decay_progress))
    return max(min_lr, min(base_lr, lr))


def tinker_lr(name, step, total_steps, lr):
    """tinker-cookbook compute_schedule_lr_multiplier (REFERENCE.md R3)."""
    if name == "linear":
        return lr * (1 - step / total_steps)
    if name == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
    if name == "constant":
        return lr
    raise ValueError(name)


def hf_lr(name, step, total_steps, warmup_steps, lr):
    """Hugging Face transformers get_{linear,cosine,constant}_schedule_with_warmup."""
    if step < warmup_steps:
        return lr * step / max(1, warmup_steps)
    if name == "constant":
        return lr
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    if name == "linear":
        return lr * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
    return lr * max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))


def torch_linear_warmup(lr, start_factor, warmup_steps, total_steps):
    """LinearLR(start_factor, total_iters=W) then constant, read from a real optimizer."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=start_factor, end_factor=1.0,
                                              total_iters=warmup_steps)
    values = []
    for _ in range(total_steps):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return values


def layout():
    ranges, offset = [], 0
    for name, length, decay, _, _ in RANGES:
        ranges.append({"name": name, "offset": offset, "length": length, "decay": decay})
        offset += length + GAP_AFTER.get(name, 0)
    return ranges, offset


def init_param(gen, kind, length):
    what, scale = kind
    if what == "normal":
        return torch.randn(length, generator=gen) * scale
    if what == "ones_noise":
        return 1.0 + torch.randn(length, generator=gen) * scale
    return torch.zeros(length)


def run_case(name, gen, options, schedule):
    ranges, size = layout()
    arena0 = torch.randn(size, generator=gen)  # gap values: random, must survive untouched
    params = []
    for (rname, length, decay, kind, _), r in zip(RANGES, ranges):
        t = init_param(gen, kind, length)
        arena0[r["offset"]:r["offset"] + length] = t
        params.append(torch.nn.Parameter(t.clone()))
    decay = [p for p, r in zip(params, ranges) if r["decay"]]
    no_decay = [p for p, r in zip(params, ranges) if not r["decay"]]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": options["weight_decay"]},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=options["lr"], betas=(options["beta1"], options["beta2"]), eps=options["eps"])

    tensors = {f"{name}.param0": arena0.numpy().copy()}
    norms, lrs = [], []
    for step in range(STEPS):
        raw = [torch.randn(r["length"], generator=gen) * g_scale
               for (_, _, _, _, g_scale), r in zip(RANGES, ranges)]
        total = math.sqrt(sum(float((g.double() ** 2).sum()) for g in raw))
        raw = [(g * (TARGET_NORMS[step] / total)).float() for g in raw]
        lr = schedule(step)
        for group in opt.param_groups:
            group["lr"] = lr
        for p, g in zip(params, raw):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        norms.append(float(norm))
        lrs.append(lr)

        def arena(values, fill):
            out = fill.clone()
            for v, r in zip(values, ranges):
                out[r["offset"]:r["offset"] + r["length"]] = v
            return out.numpy().copy()

        zeros = torch.zeros(size)
        tensors[f"{name}.grad.{step}"] = arena(raw, zeros)
        tensors[f"{name}.clipped.{step}"] = arena([p.grad for p in params], zeros)
        tensors[f"{name}.param.{step}"] = arena([p.detach() for p in params], arena0)
        tensors[f"{name}.m.{step}"] = arena([opt.state[p]["exp_avg"] for p in params], zeros)
        tensors[f"{name}.v.{step}"] = arena([opt.state[p]["exp_avg_sq"] for p in params], zeros)
    tensors[f"{name}.norm"] = np.array(norms, dtype=np.float32)
    tensors[f"{name}.lr"] = np.array(lrs, dtype=np.float32)
    meta = {"ranges": ranges, "size": size, "steps": STEPS, "clip": 1.0,
            "norms": norms, "lrs": lrs, **options}
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for key in sorted(tensors):
        a = np.ascontiguousarray(tensors[key], dtype="<f4")
        header[key] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def schedules():
    out = []

    def add(label, shape, lr, total, warmup, min_lr, start_factor, values):
        out.append({"label": label, "shape": shape, "lr": lr, "total_steps": total,
                    "warmup_steps": warmup, "min_lr": min_lr, "warmup_start_factor": start_factor,
                    "values": values})

    for total, warmup in [(1000, 100), (2000, 200), (50, 5)]:
        add(f"niels-gpt pretrain S={total} W={warmup}", "cosine", 3e-4, total, warmup, 3e-5, 0.0,
            [niels_lr(s, total, 3e-4, warmup, 3e-5) for s in range(total)])
    add("niels-gpt sft S=300 W=30", "cosine", 1e-4, 300, 30, 1e-5, 0.0,
        [niels_lr(s, 300, 1e-4, 30, 1e-5) for s in range(300)])
    for name in ["linear", "cosine", "constant"]:
        for total in [1, 7, 100]:
            add(f"tinker {name} S={total}", name, 2e-4, total, 0, 0.0, 0.0,
                [tinker_lr(name, s, total, 2e-4) for s in range(total)])
        add(f"hf {name} with warmup S=90 W=9", name, 2e-4, 90, 9, 0.0, 0.0,
            [hf_lr(name, s, 90, 9, 2e-4) for s in range(90)])
    add("torch LinearLR start 0.1 W=10 S=40", "constant", 1e-3, 40, 10, 0.0, 0.1,
        torch_linear_warmup(1e-3, 0.1, 10, 40))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20261122)
    tensors, cases = {}, {}
    niels = {"lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 2, "total_steps": STEPS,
             "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "schedule": "niels"}
    t, m = run_case("niels", gen, niels,
                    lambda s: niels_lr(s, STEPS, niels["lr"], niels["warmup_steps"], niels["min_lr"]))
    tensors.update(t)
    cases["niels"] = m
    tinker = {"lr": 5e-3, "min_lr": 0.0, "warmup_steps": 0, "total_steps": STEPS,
              "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.01, "schedule": "tinker-cosine"}
    t, m = run_case("tinker", gen, tinker, lambda s: tinker_lr("cosine", s, STEPS, tinker["lr"]))
    tensors.update(t)
    cases["tinker"] = m
    meta = {"cases": json.dumps(cases, sort_keys=True), "torch": torch.__version__,
            "generator": "tools/reference/torch_optim.py"}
    write_safetensors(os.path.join(OUT, "adamw.safetensors"), tensors, meta)
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump({"torch": torch.__version__, "generator": "tools/reference/torch_optim.py",
                   "schedules": schedules()}, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(tensors)} tensors, torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
