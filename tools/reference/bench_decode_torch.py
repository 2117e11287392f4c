#!/usr/bin/python3
"""PyTorch decode-speed reference for `dlm bench decode` (same shape, KV cache, same threads).

Run:   /usr/bin/python3 tools/reference/bench_decode_torch.py [--preset smollm2-135m-shape] [--threads N]
                                                             [--prompt-tokens 512] [--new-tokens 128] [--batch 8]
                                                             [--dtype f32|bf16] [--seed 0]
Needs: Debian python3-torch (1.13, CPU). Prints progress to stderr and ONE JSON line to stdout:
  {"preset", "threads", "torch", "dtype", "params", "prompt_tokens", "new_tokens", "batch",
   "prefill_tokens_per_s", "decode_tokens_per_s", "batched_decode_tokens_per_s", "load_avg_1m"
   (before, after), "omp_wait_policy"}

The model is a Llama (SmolLM2) decoder in plain PyTorch, random weights N(0, 0.02): token embedding ->
L pre-norm blocks -> RMSNorm -> LM head tied to the embedding. Block: RMSNorm -> attention with
grouped-query heads (separate q, k, v projections, no biases, split-half RoPE theta 1e5) -> residual;
RMSNorm -> SwiGLU MLP down(silu(gate x) * up x) -> residual. Inference as Hugging Face runs it with a
cache: the prompt goes through once (prefill, only its last position through the LM head), then one
token per step against preallocated per-layer key/value tensors. torch.inference_mode throughout.
Greedy next tokens (argmax). Batched decode: `batch` sequences step together from one prompt.
OMP_WAIT_POLICY defaults to PASSIVE (as tools/reference/bench_torch.py: PyTorch's best on a busy box).
"""
import argparse
import json
import os
import sys
import time

PRESETS = {
    # SmolLM2-135M: 30 layers, hidden 576, 9 heads, 3 KV heads, MLP 1536, vocab 49152, tied.
    "smollm2-135m-shape": dict(V=49152, C=576, L=30, H=9, KV=3, F=1536, theta=100000.0),
    "tiny": dict(V=2048, C=64, L=2, H=4, KV=2, F=128, theta=10000.0),
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="smollm2-135m-shape", choices=sorted(PRESETS))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Model:
    def __init__(self, cfg, max_len, batch, dtype):
        g = torch.Generator().manual_seed(ARGS.seed)
        C, H, KV, Fd, V, L = cfg["C"], cfg["H"], cfg["KV"], cfg["F"], cfg["V"], cfg["L"]
        self.H, self.KV, self.D = H, KV, C // H

        def w(*shape):
            return (torch.randn(*shape, generator=g) * 0.02).to(dtype)
        self.emb = w(V, C)
        self.layers = [dict(n1=torch.ones(C, dtype=dtype), q=w(H * self.D, C), k=w(KV * self.D, C), v=w(KV * self.D, C),
                            o=w(C, H * self.D), n2=torch.ones(C, dtype=dtype), gate=w(Fd, C), up=w(Fd, C), down=w(C, Fd))
                       for _ in range(L)]
        self.norm = torch.ones(C, dtype=dtype)
        inv = 1.0 / (cfg["theta"] ** (torch.arange(0, self.D, 2, dtype=torch.float32) / self.D))
        ang = torch.outer(torch.arange(max_len, dtype=torch.float32), inv)
        emb = torch.cat([ang, ang], dim=-1)
        self.cos, self.sin = emb.cos().to(dtype), emb.sin().to(dtype)
        self.kc = [torch.zeros(batch, KV, max_len, self.D, dtype=dtype) for _ in range(L)]
        self.vc = [torch.zeros(batch, KV, max_len, self.D, dtype=dtype) for _ in range(L)]
        self.params = V * C + L * (C * (H + 2 * KV) * self.D + C * H * self.D + 3 * C * Fd)

    @staticmethod
    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

    def rope(self, x, pos):
        cos, sin = self.cos[pos], self.sin[pos]  # (T, D)
        half = x.shape[-1] // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rot * sin

    def forward(self, ids, start):
        """ids (B, T) at positions start..start+T-1; returns logits of the last position (B, V)."""
        B, T = ids.shape
        pos = torch.arange(start, start + T)
        x = self.emb[ids]
        for i, p in enumerate(self.layers):
            h = self.rms(x, p["n1"])
            q = F.linear(h, p["q"]).view(B, T, self.H, self.D).transpose(1, 2)
            k = F.linear(h, p["k"]).view(B, T, self.KV, self.D).transpose(1, 2)
            v = F.linear(h, p["v"]).view(B, T, self.KV, self.D).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            self.kc[i][:B, :, start:start + T] = k
            self.vc[i][:B, :, start:start + T] = v
            keys = self.kc[i][:B, :, :start + T].repeat_interleave(self.H // self.KV, dim=1)
            vals = self.vc[i][:B, :, :start + T].repeat_interleave(self.H // self.KV, dim=1)
            s = (q @ keys.transpose(-2, -1)) / (self.D ** 0.5)
            if T > 1:
                mask = torch.ones(T, start + T, dtype=torch.bool).tril(start)
                s = s.masked_fill(~mask, float("-inf"))
            y = torch.softmax(s, dim=-1) @ vals
            x = x + F.linear(y.transpose(1, 2).reshape(B, T, -1), p["o"])
            h = self.rms(x, p["n2"])
            x = x + F.linear(F.silu(F.linear(h, p["gate"])) * F.linear(h, p["up"]), p["down"])
        return F.linear(self.rms(x[:, -1], self.norm), self.emb)


def main(args):
    torch.set_num_threads(args.threads)
    cfg = PRESETS[args.preset]
    dtype = torch.float32 if args.dtype == "f32" else torch.bfloat16
    load_before = os.getloadavg()[0]
    max_len = args.prompt_tokens + args.new_tokens
    m = Model(cfg, max_len, args.batch, dtype)
    g = torch.Generator().manual_seed(args.seed + 1)
    prompt = torch.randint(0, cfg["V"], (1, args.prompt_tokens), generator=g)
    with torch.inference_mode():
        m.forward(prompt[:, :16], 0)  # warm up
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            logits = m.forward(prompt, 0)
            best = min(best, time.perf_counter() - t0)
        prefill = args.prompt_tokens / best
        log(f"prefill: {prefill:.1f} tokens/s")

        def decode(batch):
            logits = m.forward(prompt.expand(batch, -1), 0) if batch > 1 else m.forward(prompt, 0)
            tok = logits.argmax(-1, keepdim=True)
            t0 = time.perf_counter()
            for i in range(args.new_tokens):
                tok = m.forward(tok, args.prompt_tokens + i).argmax(-1, keepdim=True)
            return batch * args.new_tokens / (time.perf_counter() - t0)
        single = decode(1)
        log(f"decode: {single:.1f} tokens/s")
        batched = decode(args.batch)
        log(f"batched decode ({args.batch}): {batched:.1f} tokens/s")
    print(json.dumps({
        "preset": args.preset, "threads": args.threads, "torch": torch.__version__, "dtype": args.dtype,
        "params": m.params, "prompt_tokens": args.prompt_tokens, "new_tokens": args.new_tokens, "batch": args.batch,
        "prefill_tokens_per_s": round(prefill, 2), "decode_tokens_per_s": round(single, 2),
        "batched_decode_tokens_per_s": round(batched, 2),
        "load_avg_1m": [load_before, os.getloadavg()[0]], "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }))


if __name__ == "__main__":
    main(ARGS)
