#!/usr/bin/python3
"""PyTorch baseline for `dlm bench train --preset smollm2-135m-shape [--lora] [--seq T]`.

Run:   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/reference/bench_torch_llama.py [--lora] [--seq 512]
           [--batch N] [--threads N] [--steps 3] [--warmup 1] [--seed 0]
Needs: Debian python3-torch (1.13, CPU). Prints progress to stderr and ONE JSON line to stdout, with
the keys of bench_torch.py plus "lora" (the adapters, or "" for full training), "trainable_params"
and "peak_rss_mb" (the process's peak resident memory, ru_maxrss).

The model is SmolLM2-135M's layout in plain PyTorch (the Hugging Face Llama architecture), random
weights: token embedding -> 30 pre-norm blocks -> RMSNorm -> LM head tied to the embedding.
Block: RMSNorm (eps 1e-5) -> q/k/v projections (9 query heads, 3 key/value heads of 64, no
biases), RoPE on split halves (theta 1e5), causal softmax attention (PyTorch 1.13 has no fused
scaled_dot_product_attention: the scores are computed in full and masked), o_proj -> residual;
RMSNorm -> SwiGLU MLP down(silu(gate x) * up x), hidden 1536, no biases -> residual. Vocabulary 49152.
No dropout in the base (SmolLM2 has none).

With --lora (what dlm trains for a document, REFERENCE.md R2): the base is frozen and PEFT-style
adapters y = W x + (alpha/r) B A dropout(x) with r 8, alpha 16, dropout 0.05 sit on q_proj, k_proj,
v_proj and o_proj (A ~ N(0, 0.02), B = 0, as dlm initialises them); only they get gradients.
Without it every weight trains (AdamW decays the linear weights, not norms or the embedding, as dlm does).
One step = forward, mean cross-entropy over B*T next tokens, backward, clip_grad_norm_(1.0),
torch.optim.AdamW(lr 3e-4, betas (0.9, 0.95), wd 0.1, eps 1e-8): the step `dlm bench train` times.
The batch defaults to 2048 tokens per step (4 x 512; 1 x 2048), as dlm's preset does.

flops_per_token = (6 or, under LoRA, 4) * N + 12 * L * T * C, N the matmul weights (PaLM appendix B;
the frozen base gets no weight gradient under LoRA), as `dlm bench train` counts them.
"""
import argparse
import json
import math
import os
import resource

SHAPE = dict(V=49152, C=576, L=30, H=9, KV=3, d_ff=1536, theta=1e5, eps=1e-5)
LORA = dict(r=8, alpha=16, dropout=0.05, targets=("q_proj", "k_proj", "v_proj", "o_proj"))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lora", action="store_true", help="train LoRA adapters on a frozen base")
    ap.add_argument("--seq", type=int, default=512, help="sequence length")
    ap.add_argument("--batch", type=int, default=None, help="sequences per step (default: 2048 tokens per step)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=3, help="timed steps")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0 or args.seq < 2:
        ap.error("--threads and --steps must be >= 1, --warmup >= 0, --seq >= 2")
    if args.batch is None:
        args.batch = max(1, 2048 // args.seq)
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    # Passive OpenMP waiting: spinning threads fight OpenBLAS's for the cores (see bench_torch.py).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bench_torch import step_fields, time_steps  # noqa: E402  (the timed loop both baselines share)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


class LoraLinear(nn.Module):
    """nn.Linear without bias, plus an optional PEFT-style adapter."""

    def __init__(self, fin, fout, lora):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fout, fin).normal_(0.0, 0.02))
        self.lora = lora
        if lora:
            self.lora_A = nn.Parameter(torch.empty(LORA["r"], fin).normal_(0.0, 0.02))
            self.lora_B = nn.Parameter(torch.zeros(fout, LORA["r"]))
            self.drop = nn.Dropout(LORA["dropout"])
            self.scale = LORA["alpha"] / LORA["r"]

    def forward(self, x):
        y = F.linear(x, self.weight)
        if self.lora:
            y = y + F.linear(F.linear(self.drop(x), self.lora_A), self.lora_B) * self.scale
        return y


def rope_tables(T, D, theta):
    inv_freq = theta ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    angles = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    angles = torch.cat([angles, angles], dim=-1)
    return torch.sin(angles).float(), torch.cos(angles).float()  # (T, D)


def rope_half(x, sin, cos):
    """Hugging Face rotate_half RoPE on x (B, H, T, D)."""
    h = x.shape[-1] // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
    return x * cos + rot * sin


class Attention(nn.Module):
    def __init__(self, s, T, lora):
        super().__init__()
        C, H, KV = s["C"], s["H"], s["KV"]
        self.H, self.KV, self.D = H, KV, C // H
        targets = LORA["targets"] if lora else ()
        self.q_proj = LoraLinear(C, H * self.D, "q_proj" in targets)
        self.k_proj = LoraLinear(C, KV * self.D, "k_proj" in targets)
        self.v_proj = LoraLinear(C, KV * self.D, "v_proj" in targets)
        self.o_proj = LoraLinear(H * self.D, C, "o_proj" in targets)
        sin, cos = rope_tables(T, self.D, s["theta"])
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("causal", torch.tril(torch.ones(T, T, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        q, k = rope_half(q, self.sin[:T], self.cos[:T]), rope_half(k, self.sin[:T], self.cos[:T])
        rep = self.H // self.KV
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.D))
        scores = scores.masked_fill(~self.causal[:T, :T], torch.finfo(scores.dtype).min)
        y = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.H * self.D))


class Block(nn.Module):
    def __init__(self, s, T, lora):
        super().__init__()
        self.input_layernorm = RMSNorm(s["C"], s["eps"])
        self.self_attn = Attention(s, T, lora)
        self.post_attention_layernorm = RMSNorm(s["C"], s["eps"])
        self.gate_proj = LoraLinear(s["C"], s["d_ff"], False)
        self.up_proj = LoraLinear(s["C"], s["d_ff"], False)
        self.down_proj = LoraLinear(s["d_ff"], s["C"], False)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, s, T, lora):
        super().__init__()
        self.embed_tokens = nn.Embedding(s["V"], s["C"])
        nn.init.normal_(self.embed_tokens.weight, 0.0, 0.02)
        self.layers = nn.ModuleList([Block(s, T, lora) for _ in range(s["L"])])
        self.norm = RMSNorm(s["C"], s["eps"])

    def forward(self, idx):
        h = self.embed_tokens(idx)
        for layer in self.layers:
            h = layer(h)
        return F.linear(self.norm(h), self.embed_tokens.weight)  # tied LM head


def matmul_params(s):
    C, F_, L, V, D = s["C"], s["d_ff"], s["L"], s["V"], s["C"] // s["H"]
    return L * (C * (s["H"] + 2 * s["KV"]) * D + s["H"] * D * C + 3 * C * F_) + V * C


def main(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    s, B, T, V = SHAPE, args.batch, args.seq, SHAPE["V"]
    model = Llama(s, T, args.lora)
    model.train()
    if args.lora:
        for name, p in model.named_parameters():
            p.requires_grad_("lora_" in name)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2 and "embed_tokens" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and not (p.dim() >= 2 and "embed_tokens" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    run = time_steps(model, opt, params, V, B, T, args.seed, args.warmup, args.steps)

    n_mm = matmul_params(s)
    flops_per_token = (4 if args.lora else 6) * n_mm + 12 * s["L"] * T * s["C"]
    lora = (f"r={LORA['r']} alpha={LORA['alpha']} dropout={LORA['dropout']} {','.join(LORA['targets'])}"
            if args.lora else "")
    print(json.dumps({
        "preset": "smollm2-135m-shape", "threads": torch.get_num_threads(), "torch": torch.__version__,
        "batch": B, "seq_len": T, "tokens_per_step": B * T,
        "params": sum(p.numel() for p in model.parameters()), "matmul_params": n_mm,
        "lora": lora, "trainable_params": sum(p.numel() for p in params),
        **step_fields(run, args.warmup, args.steps, B * T, flops_per_token),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main(ARGS)
