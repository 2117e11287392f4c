#!/usr/bin/python3
"""PyTorch training-speed baseline for dlm's engine (`dlm bench train` must beat it by 2x).

Run:   /usr/bin/python3 tools/reference/bench_torch.py [--preset niels-default] [--threads N]
                                                      [--steps 10] [--warmup 2] [--seed 0] [--seq T] [--batch B]
Needs: Debian python3-torch (1.13, CPU). Prints progress to stderr and ONE JSON line to stdout:
  {"preset", "threads", "torch", "batch", "seq_len", "tokens_per_step", "params", "matmul_params",
   "warmup_steps", "steps", "step_ms" (mean), "step_ms_median", "step_ms_min", "tokens_per_sec",
   "flops_per_token", "gflops", "loss_first", "loss_last", "cpu_s_per_step" (process CPU time),
   "phase_ms" {forward, backward, optimizer} (mean wall time per phase; optimizer = clip + AdamW),
   "load_avg_1m" (before, after: the machine is shared; a load above the core count means the
   wall-clock figures are pessimistic, rerun when it is quiet), "omp_wait_policy"}
OMP_WAIT_POLICY defaults to PASSIVE (see below): PyTorch's fastest setting on a busy 2-core box.

The model is niels-gpt's (REFERENCE.md R1), written here in plain PyTorch: token embedding ->
dropout -> L pre-norm blocks -> RMSNorm -> LM head tied to the embedding. Block: RMSNorm (weight
only, eps 1e-5) -> causal attention (one qkv linear and an output linear, no biases, RoPE on
interleaved even/odd pairs with theta 1e4, dropout on the attention probabilities and on the
output) -> dropout -> residual; RMSNorm -> SwiGLU MLP down(silu(gate x) * up x), all three with
biases -> dropout -> residual. Init N(0, 0.02), zero biases. Dropout 0.1 everywhere, as trained;
dlm's engine drops at the same places, the attention output twice too (docs/engine.md).
One training step = forward, mean cross-entropy over B*T next tokens, backward,
clip_grad_norm_(1.0), torch.optim.AdamW(lr 3e-4, betas (0.9, 0.95), wd 0.1 on matrices, eps 1e-8).
Batches are seeded random token windows (speed does not depend on the text).

FLOPs per trained token (the convention of the PaLM paper, appendix B, also used by nanoGPT/llm.c):
  flops_per_token = 6 * N + 12 * L * T * C
where N counts the weights of every matrix multiply: per layer C*3C (qkv) + C*C (out) +
3*C*d_ff (gate, up, down), plus V*C for the LM head (tied to the embedding, counted once; the
embedding lookup itself is not a multiply; norms and biases are negligible and not counted).
6N = 2 (multiply-add) x 3 (forward + two backward GEMMs); 12*L*T*C is attention's QK^T and AV
over the full T x T matrix (computed in full, then masked), forward and backward.
gflops = flops_per_token * tokens_per_sec / 1e9.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

PRESETS = {
    # The niels-gpt production profile (REFERENCE.md R1, T=256).
    "niels-default": dict(V=16000, T=256, C=384, L=8, H=6, d_ff=1152, batch=8),
    # The original's default context.
    "niels-t512": dict(V=16000, T=512, C=384, L=8, H=6, d_ff=1152, batch=8),
    # Quick runs and smoke tests.
    "niels-small": dict(V=4096, T=128, C=192, L=4, H=4, d_ff=576, batch=8),
    "niels-tiny": dict(V=512, T=64, C=64, L=2, H=2, d_ff=192, batch=4),
}
DROPOUT = 0.1


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="niels-default", choices=sorted(PRESETS))
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="intra-op threads (torch.set_num_threads) and BLAS threads; default: all cores")
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seq", type=int, default=None,
                    help="sequence length instead of the preset's (the batch then keeps the preset's tokens per step "
                         "unless --batch is given), as `dlm bench train --seq`")
    ap.add_argument("--batch", type=int, default=None, help="sequences per step instead of the preset's")
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0:
        ap.error("--threads and --steps must be >= 1, --warmup >= 0")
    if (args.seq is not None and args.seq < 2) or (args.batch is not None and args.batch < 1):
        ap.error("--seq must be >= 2 and --batch >= 1")
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # Debian's torch runs its GEMMs in OpenBLAS, whose thread pool reads these at load time;
    # set them before importing torch so --threads governs the BLAS too.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    # OpenMP threads that spin after each parallel region fight OpenBLAS's own threads (and any
    # other process) for the cores: on this shared 2-core machine, 2 spinning threads made a step
    # 4x slower than 1 thread. Passive waiting is PyTorch's best configuration here; an explicit
    # OMP_WAIT_POLICY in the environment wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the thread environment is set)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


def rope_tables(T, D, theta=1e4):
    inv_freq = theta ** (-2 * torch.arange(D // 2, dtype=torch.float64) / D)
    angles = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    return torch.sin(angles).float(), torch.cos(angles).float()  # (T, D/2)


def rope_interleaved(x, sin, cos):
    """Rotate the (even, odd) pairs of the last dimension of x (B, H, T, D)."""
    B, H, T, D = x.shape
    pairs = x.reshape(B, H, T, D // 2, 2)
    a, b = pairs[..., 0], pairs[..., 1]
    s, c = sin[:T], cos[:T]
    return torch.stack([a * c - b * s, a * s + b * c], dim=-1).reshape(B, H, T, D)


class Attention(nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H, self.D = H, C // H
        self.qkv = nn.Linear(C, 3 * C, bias=False)
        self.proj = nn.Linear(C, C, bias=False)
        self.attn_drop = nn.Dropout(DROPOUT)
        self.resid_drop = nn.Dropout(DROPOUT)
        sin, cos = rope_tables(T, self.D)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("causal", torch.tril(torch.ones(T, T, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).reshape(B, T, 3, self.H, self.D).permute(2, 0, 3, 1, 4)
        q = rope_interleaved(q, self.sin, self.cos)
        k = rope_interleaved(k, self.sin, self.cos)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.D))
        scores = scores.masked_fill(~self.causal[:T, :T], torch.finfo(scores.dtype).min)
        y = self.attn_drop(torch.softmax(scores, dim=-1)) @ v
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))


class SwiGLU(nn.Module):
    def __init__(self, C, d_ff):
        super().__init__()
        self.up = nn.Linear(C, d_ff, bias=True)
        self.gate = nn.Linear(C, d_ff, bias=True)
        self.down = nn.Linear(d_ff, C, bias=True)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln1 = RMSNorm(cfg["C"])
        self.attn = Attention(cfg["C"], cfg["H"], cfg["T"])
        self.ln2 = RMSNorm(cfg["C"])
        self.mlp = SwiGLU(cfg["C"], cfg["d_ff"])
        self.drop = nn.Dropout(DROPOUT)

    def forward(self, x):
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.mlp(self.ln2(x)))


class NielsGpt(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["V"], cfg["C"])
        self.drop = nn.Dropout(DROPOUT)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["L"])])
        self.ln_f = RMSNorm(cfg["C"])
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                nn.init.normal_(p, mean=0.0, std=0.02)

    def forward(self, idx):
        h = self.drop(self.tok_emb(idx))
        for block in self.blocks:
            h = block(h)
        return F.linear(self.ln_f(h), self.tok_emb.weight)  # tied LM head


def matmul_params(cfg):
    C, d_ff, L, V = cfg["C"], cfg["d_ff"], cfg["L"], cfg["V"]
    return L * (C * 3 * C + C * C + 3 * C * d_ff) + V * C



def time_steps(model, opt, params, V, B, T, seed, warmup, steps):
    """Runs warmup + steps training steps (forward, backward, clip 1.0, optimizer) on random
    windows, timing each step and its phases; the loop every PyTorch training baseline here shares."""
    gen = torch.Generator().manual_seed(seed + 1)
    phases = {"forward": [], "backward": [], "optimizer": []}

    def step():
        window = torch.randint(0, V, (B, T + 1), generator=gen)
        x, y = window[:, :-1], window[:, 1:]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        t3 = time.perf_counter()
        for k, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2)):
            phases[k].append(dt)
        return float(loss)

    losses, times, cpu_times = [], [], []
    load_before = os.getloadavg()[0]
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        losses.append(loss)
        if i >= warmup:
            times.append(dt)
            cpu_times.append(dc)
        print(f"step {i:3d} {'warmup' if i < warmup else 'timed '} {dt * 1e3:9.1f} ms  loss {loss:.4f}",
              file=sys.stderr)
    return dict(losses=losses, times=times, cpu_times=cpu_times, phases=phases, load_before=load_before)


def step_fields(run, warmup, steps, tokens, flops_per_token):
    """The JSON fields of a timed run that every baseline reports the same way."""
    times = run["times"]
    mean = sum(times) / len(times)
    tps = tokens / mean
    return {
        "warmup_steps": warmup, "steps": steps,
        "step_ms": round(mean * 1e3, 2), "step_ms_median": round(statistics.median(times) * 1e3, 2),
        "step_ms_min": round(min(times) * 1e3, 2), "tokens_per_sec": round(tps, 1),
        "flops_per_token": flops_per_token, "gflops": round(flops_per_token * tps / 1e9, 2),
        "loss_first": round(run["losses"][0], 4), "loss_last": round(run["losses"][-1], 4),
        "cpu_s_per_step": round(sum(run["cpu_times"]) / len(run["cpu_times"]), 3),
        # Mean wall time of each phase over the timed steps (optimizer = clip_grad_norm_ + AdamW).
        "phase_ms": {k: round(sum(v[warmup:]) / steps * 1e3, 2) for k, v in run["phases"].items()},
        "load_avg_1m": [round(run["load_before"], 2), round(os.getloadavg()[0], 2)],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }

def main(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = dict(PRESETS[args.preset])
    if args.seq is not None:
        cfg["batch"] = args.batch or max(1, cfg["batch"] * cfg["T"] // args.seq)
        cfg["T"] = args.seq
    elif args.batch is not None:
        cfg["batch"] = args.batch
    B, T, V = cfg["batch"], cfg["T"], cfg["V"]
    model = NielsGpt(cfg)
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    params = list(model.parameters())
    run = time_steps(model, opt, params, V, B, T, args.seed, args.warmup, args.steps)

    tokens = B * T
    n_mm = matmul_params(cfg)
    flops_per_token = 6 * n_mm + 12 * cfg["L"] * T * cfg["C"]
    print(json.dumps({
        "preset": args.preset, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "batch": B, "seq_len": T, "tokens_per_step": tokens,
        "params": sum(p.numel() for p in params), "matmul_params": n_mm,
        **step_fields(run, args.warmup, args.steps, tokens, flops_per_token),
    }))


if __name__ == "__main__":
    main(ARGS)
