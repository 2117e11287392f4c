#!/usr/bin/python3
"""PyTorch reference for the dlm transformer engine (issue 3).

Run from the repository root with the Debian interpreter (torch 1.13, numpy, no `transformers`):

    /usr/bin/python3 tools/reference/torch_reference.py [--out tests/fixtures/models]

For a tiny config of each family it writes tests/fixtures/models/<name>/:
  config.json, model.safetensors     a Hugging Face model folder (HF parameter names; GPT-2
                                     Conv1D weights stored [in, out] as HF does)
  adapter_config.json,
  adapter_model.safetensors          (LoRA variant only) a PEFT adapter folder
  batch.safetensors                  tokens, targets (int64 [B, T]) and weights (float32 [B, T])
  tokens.jsonl                       token-id lines for `dlm model loss`
  expected.safetensors               logits [B, T, V]; loss (weighted mean), loss_sum, weight_sum;
                                     logprobs [B, T]; grad.<name> for every trainable tensor (HF
                                     layout); adamw3.<name> = the trainable tensors after 3 steps of
                                     torch.optim.AdamW with clip_grad_norm_ 1.0 on the same batch
                                     (hyperparameters in the metadata; no decay on norms, biases,
                                     embeddings); cli_loss [lines] = mean next-token loss per line of
                                     tokens.jsonl.
niels_dropout/ is a niels training pass with dropout 0.1 on dlm's own masks (DlmDropout: dlm's
SplitMix64 stream from the state in expected.safetensors' metadata "rng_state", drawn in dlm's
order): config.json, model.safetensors, batch.safetensors, and expected.safetensors with logits,
logprobs, loss, loss_sum, weight_sum and grad.<name> only.

The math mirrors Hugging Face modeling_llama / modeling_qwen2 / modeling_gpt2 exactly, written as
plain functions (no `transformers` package): RMSNorm in the input dtype, split-half RoPE (niels:
interleaved pairs) with Llama-3 frequency scaling, GQA by repeating kv heads, SwiGLU, GELU-tanh.
Everything runs in float64 so the fixture is the exact answer for the float32 parameters stored.
Loss = -sum(w * logp(target)) / sum(w): the weighted mean; gradients are of that loss.
"""
import argparse
import json
import math
import os
import struct

import torch

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------- safetensors (no package needed)
def save_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in sorted(metadata.items())}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype in (torch.int64, torch.int32):
            t = t.to(torch.int64)
            dtype = "I64"
        else:
            t = t.to(torch.float32)
            dtype = "F32"
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ---------------------------------------------------------------- configs
def niels_config():
    return dict(model_type="niels", vocab_size=48, max_position_embeddings=16, hidden_size=32,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, intermediate_size=40,
                rms_norm_eps=1e-5, rope_theta=10000.0, attention_bias=False, mlp_bias=True,
                tie_word_embeddings=True, dropout=0.0, hidden_act="silu")


def llama_config():
    return dict(model_type="llama", vocab_size=48, max_position_embeddings=16, hidden_size=32,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=40,
                rms_norm_eps=1e-5, rope_theta=500.0, attention_bias=False, mlp_bias=False,
                tie_word_embeddings=False, hidden_act="silu",
                rope_scaling=dict(rope_type="llama3", factor=4.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                  original_max_position_embeddings=8))


def qwen2_config():
    return dict(model_type="qwen2", vocab_size=48, max_position_embeddings=16, hidden_size=32,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=40,
                rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, hidden_act="silu")


def gpt2_config():
    return dict(model_type="gpt2", vocab_size=48, n_positions=16, n_embd=32, n_layer=2, n_head=4,
                n_inner=None, layer_norm_epsilon=1e-5, activation_function="gelu_new", resid_pdrop=0.0)


# ---------------------------------------------------------------- parameters (HF names and layouts)
def param_shapes(cfg):
    shapes = {}
    if cfg["model_type"] == "gpt2":
        C, V, T, L = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"], cfg["n_layer"]
        F = cfg["n_inner"] or 4 * C
        shapes["wte.weight"] = (V, C)
        shapes["wpe.weight"] = (T, C)
        for i in range(L):
            p = f"h.{i}."
            shapes[p + "ln_1.weight"] = (C,)
            shapes[p + "ln_1.bias"] = (C,)
            shapes[p + "attn.c_attn.weight"] = (C, 3 * C)
            shapes[p + "attn.c_attn.bias"] = (3 * C,)
            shapes[p + "attn.c_proj.weight"] = (C, C)
            shapes[p + "attn.c_proj.bias"] = (C,)
            shapes[p + "ln_2.weight"] = (C,)
            shapes[p + "ln_2.bias"] = (C,)
            shapes[p + "mlp.c_fc.weight"] = (C, F)
            shapes[p + "mlp.c_fc.bias"] = (F,)
            shapes[p + "mlp.c_proj.weight"] = (F, C)
            shapes[p + "mlp.c_proj.bias"] = (C,)
        shapes["ln_f.weight"] = (C,)
        shapes["ln_f.bias"] = (C,)
        return shapes
    C, V, L, F = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = C // H
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    mlp_bias = cfg.get("mlp_bias", False)
    shapes["model.embed_tokens.weight"] = (V, C)
    for i in range(L):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (C,)
        shapes[p + "self_attn.q_proj.weight"] = (H * hd, C)
        shapes[p + "self_attn.k_proj.weight"] = (KV * hd, C)
        shapes[p + "self_attn.v_proj.weight"] = (KV * hd, C)
        if qkv_bias:
            shapes[p + "self_attn.q_proj.bias"] = (H * hd,)
            shapes[p + "self_attn.k_proj.bias"] = (KV * hd,)
            shapes[p + "self_attn.v_proj.bias"] = (KV * hd,)
        shapes[p + "self_attn.o_proj.weight"] = (C, H * hd)
        shapes[p + "post_attention_layernorm.weight"] = (C,)
        shapes[p + "mlp.gate_proj.weight"] = (F, C)
        shapes[p + "mlp.up_proj.weight"] = (F, C)
        shapes[p + "mlp.down_proj.weight"] = (C, F)
        if mlp_bias:
            shapes[p + "mlp.gate_proj.bias"] = (F,)
            shapes[p + "mlp.up_proj.bias"] = (F,)
            shapes[p + "mlp.down_proj.bias"] = (C,)
    shapes["model.norm.weight"] = (C,)
    if not cfg.get("tie_word_embeddings", False):
        shapes["lm_head.weight"] = (V, C)
    return shapes


def is_norm(name):
    return "norm" in name or "ln_" in name


def is_embedding(name):
    return "embed_tokens" in name or name in ("wte.weight", "wpe.weight")


def init_params(cfg, gen):
    params = {}
    for name, shape in param_shapes(cfg).items():
        if is_norm(name) and name.endswith("weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=gen, dtype=torch.float32)
        elif name.endswith("bias"):
            t = 0.05 * torch.randn(shape, generator=gen, dtype=torch.float32)
        else:
            t = 0.15 * torch.randn(shape, generator=gen, dtype=torch.float32)
        params[name] = t.to(torch.float64).requires_grad_(True)
    return params


# ---------------------------------------------------------------- the math (mirrors HF)
def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def inv_freq(cfg, dim):
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    rs = cfg.get("rope_scaling")
    if rs:  # transformers modeling_rope_utils._compute_llama3_parameters
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wl < high_wl) * ~(wl > low_wl)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rope(x, cfg, interleaved):
    # x: [B, heads, T, hd]
    T, hd = x.shape[2], x.shape[3]
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq(cfg, hd))  # [T, hd/2]
    cos, sin = freqs.cos(), freqs.sin()
    if interleaved:  # niels: pairs (2i, 2i+1) rotate by freq i
        xe, xo = x[..., 0::2], x[..., 1::2]
        out = torch.stack((xe * cos - xo * sin, xe * sin + xo * cos), dim=-1)
        return out.flatten(-2)
    cos2, sin2 = torch.cat((cos, cos), -1), torch.cat((sin, sin), -1)  # HF apply_rotary_pos_emb
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    rot = torch.cat((-x2, x1), -1)
    return x * cos2 + rot * sin2


class DlmDropout:
    """dlm's dropout masks, drawn in dlm's order from its SplitMix64 stream (TransformerModel.RngState):
    embeddings [B, T, C]; then per layer the attention probabilities [B, H, T, T], the attention
    branch [B, T, C] (twice for niels, as niels-gpt drops it in the attention and in the block)
    and the MLP branch [B, T, C]. Entry i of a mask is 0 when draw i < p, else
    1/(1 - p), both in float32 as dlm computes them (niels-gpt's nn.Dropout places, dlm's stream)."""

    def __init__(self, p, state):
        self.p = float(struct.unpack("<f", struct.pack("<f", p))[0])
        self.keep = float(struct.unpack("<f", struct.pack("<f", 1.0 / float(struct.unpack("<f", struct.pack("<f", 1.0 - self.p))[0])))[0])
        self.state = state

    def __call__(self, x):
        M = (1 << 64) - 1
        out = torch.empty(x.numel(), dtype=torch.float64)
        for i in range(x.numel()):
            self.state = (self.state + 0x9E3779B97F4A7C15) & M
            z = self.state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            z ^= z >> 31
            out[i] = 0.0 if (z >> 40) * 2.0 ** -24 < self.p else self.keep
        return x * out.view(x.shape)


def no_dropout(x):
    return x


def attention(q, k, v, drop=no_dropout):
    # q: [B, H, T, hd], k/v: [B, KV, T, hd]
    H, KV, T, hd = q.shape[1], k.shape[1], q.shape[2], q.shape[3]
    k = k.repeat_interleave(H // KV, dim=1)
    v = v.repeat_interleave(H // KV, dim=1)
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    s = s.masked_fill(mask, float("-inf"))
    return drop(torch.softmax(s, -1)) @ v


def lora_delta(x, name, lora):
    """PEFT LoRA: scale * B(A(dropout(x))) for the targeted module `name` (dropout 0 here)."""
    if lora is None:
        return 0.0
    a = lora["params"].get(f"base_model.model.{name}.lora_A.weight")
    if a is None:
        return 0.0
    b = lora["params"][f"base_model.model.{name}.lora_B.weight"]
    return lora["scale"] * ((x @ a.t()) @ b.t())


def linear(x, p, name, lora=None):
    y = x @ p[name + ".weight"].t()
    if name + ".bias" in p:
        y = y + p[name + ".bias"]
    return y + lora_delta(x, name, lora)


def forward_llama(cfg, p, tokens, lora=None, drop=no_dropout):
    B, T = tokens.shape
    C, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = C // H, cfg["rms_norm_eps"]
    interleaved = cfg["model_type"] == "niels"
    x = drop(p["model.embed_tokens.weight"][tokens])
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = linear(h, p, pre + "self_attn.q_proj", lora).view(B, T, H, hd).transpose(1, 2)
        k = linear(h, p, pre + "self_attn.k_proj", lora).view(B, T, KV, hd).transpose(1, 2)
        v = linear(h, p, pre + "self_attn.v_proj", lora).view(B, T, KV, hd).transpose(1, 2)
        q, k = rope(q, cfg, interleaved), rope(k, cfg, interleaved)
        a = attention(q, k, v, drop).transpose(1, 2).reshape(B, T, H * hd)
        o = linear(a, p, pre + "self_attn.o_proj", lora)
        # niels-gpt: the attention's resid_dropout, then the block's dropout (two masks).
        x = x + drop(drop(o) if cfg["model_type"] == "niels" else o)
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        g = linear(h, p, pre + "mlp.gate_proj", lora)
        u = linear(h, p, pre + "mlp.up_proj", lora)
        x = x + drop(linear(torch.nn.functional.silu(g) * u, p, pre + "mlp.down_proj", lora))
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else p["lm_head.weight"]
    return x @ head.t()


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def conv1d(x, p, name):  # HF Conv1D: weight [in, out]
    return x @ p[name + ".weight"] + p[name + ".bias"]


def forward_gpt2(cfg, p, tokens, lora=None):
    B, T = tokens.shape
    C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hd = C // H
    ln = torch.nn.functional.layer_norm
    x = p["wte.weight"][tokens] + p["wpe.weight"][:T]
    for i in range(cfg["n_layer"]):
        pre = f"h.{i}."
        h = ln(x, (C,), p[pre + "ln_1.weight"], p[pre + "ln_1.bias"], eps)
        q, k, v = conv1d(h, p, pre + "attn.c_attn").split(C, dim=-1)
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
        a = attention(q, k, v).transpose(1, 2).reshape(B, T, C)
        x = x + conv1d(a, p, pre + "attn.c_proj")
        h = ln(x, (C,), p[pre + "ln_2.weight"], p[pre + "ln_2.bias"], eps)
        x = x + conv1d(gelu_new(conv1d(h, p, pre + "mlp.c_fc")), p, pre + "mlp.c_proj")
    x = ln(x, (C,), p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].t()


def forward(cfg, p, tokens, lora=None):
    return (forward_gpt2 if cfg["model_type"] == "gpt2" else forward_llama)(cfg, p, tokens, lora)


def weighted_loss(logits, targets, weights):
    logp = torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    total = -(weights * logp).sum()
    return total / weights.sum(), total, logp


# ---------------------------------------------------------------- LoRA (PEFT names and layout)
def init_lora(cfg, base, gen, targets, r, alpha):
    params = {}
    for name in base:
        mod = name[: -len(".weight")] if name.endswith(".weight") else None
        if mod is None or mod.split(".")[-1] not in targets:
            continue
        out_f, in_f = base[name].shape
        # PEFT initialises B to zero; a random B makes every adapter gradient non-trivial.
        a = 0.2 * torch.randn((r, in_f), generator=gen, dtype=torch.float32)
        b = 0.2 * torch.randn((out_f, r), generator=gen, dtype=torch.float32)
        params[f"base_model.model.{mod}.lora_A.weight"] = a.to(torch.float64).requires_grad_(True)
        params[f"base_model.model.{mod}.lora_B.weight"] = b.to(torch.float64).requires_grad_(True)
    return {"params": params, "scale": alpha / r}


# ---------------------------------------------------------------- one fixture
# eps 1e-5 rather than 1e-8: GPT-2's key bias has a gradient that is exactly zero in exact math
# (softmax ignores a constant added to every score) but ~1e-9 of float32 rounding noise in any
# float32 engine; with eps 1e-8 Adam would turn that noise into updates of ~lr/10.
ADAMW = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-5, weight_decay=0.1, clip=1.0, steps=3)


def make_fixture(out_dir, name, cfg, seed, lora_spec=None):
    gen = torch.Generator().manual_seed(seed)
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    base = init_params(cfg, gen)
    V = cfg["vocab_size"]
    B, T = 2, 7
    tokens = torch.randint(0, V, (B, T), generator=gen)
    targets = torch.randint(0, V, (B, T), generator=gen)
    weights = torch.tensor([[1.0, 1.0, 0.0, 0.5, 1.0, 2.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.25, 1.0, 1.0]])

    lora = None
    if lora_spec:
        lora = init_lora(cfg, base, gen, lora_spec["target_modules"], lora_spec["r"], lora_spec["lora_alpha"])
        for t in base.values():
            t.requires_grad_(False)
        trainable = lora["params"]
    else:
        trainable = base

    logits = forward(cfg, base, tokens, lora)
    loss, loss_sum, logp = weighted_loss(logits, targets, weights)
    loss.backward()
    expected = {"logits": logits.detach(), "loss": loss.detach().reshape(1), "loss_sum": loss_sum.detach().reshape(1),
                "weight_sum": weights.sum().reshape(1), "logprobs": logp.detach()}
    for n, t in trainable.items():
        expected["grad." + n] = t.grad.detach().clone()

    # CLI contract: mean next-token cross-entropy of each token line.
    lines = [torch.randint(0, V, (n,), generator=gen) for n in (9, 5, 12)]
    cli = []
    with torch.no_grad():
        for ids in lines:
            lg = forward(cfg, base, ids[:-1].unsqueeze(0), lora)
            cli.append(torch.nn.functional.cross_entropy(lg[0], ids[1:]))
    expected["cli_loss"] = torch.stack(cli)

    # 3 AdamW steps with global-norm clipping on the same batch.
    work = {n: t.detach().clone().requires_grad_(True) for n, t in trainable.items()}
    decay = [t for n, t in work.items() if not (is_norm(n) or n.endswith("bias") or is_embedding(n))]
    no_decay = [t for n, t in work.items() if is_norm(n) or n.endswith("bias") or is_embedding(n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ADAMW["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["eps"])
    for _ in range(ADAMW["steps"]):
        opt.zero_grad()
        if lora_spec:
            lo = {"params": work, "scale": lora["scale"]}
            l, _, _ = weighted_loss(forward(cfg, base, tokens, lo), targets, weights)
        else:
            l, _, _ = weighted_loss(forward(cfg, work, tokens), targets, weights)
        l.backward()
        torch.nn.utils.clip_grad_norm_(list(work.values()), ADAMW["clip"])
        opt.step()
    for n, t in work.items():
        expected["adamw3." + n] = t.detach()

    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    save_safetensors(os.path.join(folder, "model.safetensors"), base, {"format": "pt"})
    if lora_spec:
        with open(os.path.join(folder, "adapter_config.json"), "w") as f:
            json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=lora_spec["r"], lora_alpha=lora_spec["lora_alpha"],
                           lora_dropout=0.0, bias="none", target_modules=lora_spec["target_modules"],
                           base_model_name_or_path="."), f, indent=2, sort_keys=True)
        save_safetensors(os.path.join(folder, "adapter_model.safetensors"), lora["params"], {"format": "pt"})
    save_safetensors(os.path.join(folder, "batch.safetensors"),
                     {"tokens": tokens, "targets": targets, "weights": weights})
    with open(os.path.join(folder, "tokens.jsonl"), "w") as f:
        for ids in lines:
            f.write(json.dumps(ids.tolist()) + "\n")
    meta = {k: repr(v) for k, v in ADAMW.items()}
    meta["lora"] = json.dumps(lora_spec) if lora_spec else ""
    save_safetensors(os.path.join(folder, "expected.safetensors"), expected, meta)
    print(f"{name}: loss {loss.item():.6f}, {len(trainable)} trainable tensors -> {folder}")


def make_dropout_fixture(out_dir, name, cfg, seed, rng_state):
    """A training pass with dropout cfg["dropout"] on dlm's masks (DlmDropout from rng_state):
    logits, logprobs, loss, loss_sum, weight_sum and grad.<name>, as in make_fixture."""
    gen = torch.Generator().manual_seed(seed)
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    base = init_params(cfg, gen)
    V = cfg["vocab_size"]
    B, T = 2, 7
    tokens = torch.randint(0, V, (B, T), generator=gen)
    targets = torch.randint(0, V, (B, T), generator=gen)
    weights = torch.tensor([[1.0, 1.0, 0.0, 0.5, 1.0, 2.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.25, 1.0, 1.0]])
    logits = forward_llama(cfg, base, tokens, drop=DlmDropout(cfg["dropout"], rng_state))
    loss, loss_sum, logp = weighted_loss(logits, targets, weights)
    loss.backward()
    expected = {"logits": logits.detach(), "loss": loss.detach().reshape(1), "loss_sum": loss_sum.detach().reshape(1),
                "weight_sum": weights.sum().reshape(1), "logprobs": logp.detach()}
    for n, t in base.items():
        expected["grad." + n] = t.grad.detach().clone()
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    save_safetensors(os.path.join(folder, "model.safetensors"), base, {"format": "pt"})
    save_safetensors(os.path.join(folder, "batch.safetensors"),
                     {"tokens": tokens, "targets": targets, "weights": weights})
    save_safetensors(os.path.join(folder, "expected.safetensors"), expected, {"rng_state": str(rng_state)})
    print(f"{name}: loss {loss.item():.6f} with dropout {cfg['dropout']} -> {folder}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/models")
    args = ap.parse_args()
    torch.set_num_threads(1)
    make_fixture(args.out, "niels", niels_config(), 1)
    make_fixture(args.out, "llama", llama_config(), 2)
    make_fixture(args.out, "qwen2", qwen2_config(), 3)
    make_fixture(args.out, "gpt2", gpt2_config(), 4)
    make_fixture(args.out, "llama_lora", llama_config(), 5,
                 dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]))
    make_dropout_fixture(args.out, "niels_dropout", dict(niels_config(), dropout=0.1), 6, 0x5EED)


if __name__ == "__main__":
    main()
