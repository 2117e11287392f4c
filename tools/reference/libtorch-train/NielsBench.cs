using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LibTorchTrain;

/// <summary>
/// bench_torch.py's model and step on libtorch: token embedding -> dropout -> L pre-norm blocks ->
/// RMSNorm -> LM head tied to the embedding. Block: RMSNorm (weight only, eps 1e-5) -> causal
/// attention (one qkv linear and an output linear, no biases, RoPE on interleaved even/odd pairs,
/// theta 1e4, dropout 0.1 on the probabilities (inside SDPA) and on the output) -> dropout ->
/// residual; RMSNorm -> SwiGLU MLP down(silu(gate x) * up x) with biases -> dropout -> residual.
/// Init N(0, 0.02), zero biases; mean cross-entropy, clip 1.0, AdamW(3e-4, (0.9, 0.95), wd 0.1 on
/// matrices, eps 1e-8).
/// </summary>
internal static class NielsBench
{
    private const double Dropout = 0.1;

    public static JsonObject Run(string preset, int threads, int steps, int warmup, int seed, int? seq, int? batch)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(seed);
        var p = Shapes.NielsPresets[preset];
        int t = seq ?? p.T, b = batch ?? (seq is null ? p.Batch : Math.Max(1, p.Batch * p.T / t));
        var cfg = p with { T = t, Batch = b };
        var model = new NielsGpt(cfg);
        model.train();
        var all = model.parameters().ToList();
        var decay = all.Where(x => x.dim() >= 2).ToList();
        var noDecay = all.Where(x => x.dim() < 2).ToList();
        var opt = optim.AdamW(
            [new AdamW.ParamGroup(decay, 3e-4, 0.9, 0.95, 1e-8, 0.1, false, false), new AdamW.ParamGroup(noDecay, 3e-4, 0.9, 0.95, 1e-8, 0.0, false, false)],
            lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8);
        long matmul = (long)cfg.L * (cfg.C * 3L * cfg.C + (long)cfg.C * cfg.C + 3L * cfg.C * cfg.DFf) + (long)cfg.V * cfg.C;
        double flopsPerToken = 6.0 * matmul + 12.0 * cfg.L * t * cfg.C;
        var run = StepLoop.Run(model, opt, all, cfg.V, b, t, seed, warmup, steps, flopsPerToken);
        var head = new JsonObject
        {
            ["preset"] = preset, ["threads"] = torch.get_num_threads(), ["torch"] = StepLoop.TorchVersion,
            ["batch"] = b, ["seq_len"] = t, ["tokens_per_step"] = b * t,
            ["params"] = all.Sum(x => x.numel()), ["matmul_params"] = matmul, ["attention"] = "scaled_dot_product_attention (is_causal, dropout 0.1)",
        };
        foreach (var (k, v) in run) head[k] = v?.DeepClone();
        return head;
    }

    private sealed class RmsNorm : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;
        private readonly double _eps;

        public RmsNorm(long dim, double eps) : base(nameof(RmsNorm))
        {
            weight = nn.Parameter(ones(dim));
            _eps = eps;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x / sqrt(x.pow(2).mean([-1], keepdim: true) + _eps) * weight;
    }

    private sealed class Attention : nn.Module<Tensor, Tensor>
    {
        private readonly Linear qkv, proj;
        private readonly TorchSharp.Modules.Dropout resid_drop;
        private readonly Tensor sin, cos;
        private readonly int _h, _d;

        public Attention(int c, int h, int t) : base(nameof(Attention))
        {
            (_h, _d) = (h, c / h);
            qkv = nn.Linear(c, 3 * c, hasBias: false);
            proj = nn.Linear(c, c, hasBias: false);
            resid_drop = nn.Dropout(Dropout);
            int d = _d;
            (sin, cos) = StepLoop.AngleTables(t, d / 2, i => Math.Pow(1e4, -2.0 * i / d));
            RegisterComponents();
        }

        // Rotates the (even, odd) pairs of the last dimension of x (B, H, T, D).
        private Tensor Rope(Tensor x)
        {
            var shape = x.shape;
            var pairs = x.reshape(shape[0], shape[1], shape[2], shape[3] / 2, 2);
            var a = pairs.select(-1, 0);
            var bb = pairs.select(-1, 1);
            return stack([a * cos - bb * sin, a * sin + bb * cos], -1).reshape(shape);
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], t = x.shape[1], c = x.shape[2];
            var parts = qkv.forward(x).reshape(b, t, 3, _h, _d).permute(2, 0, 3, 1, 4);
            var q = Rope(parts[0]);
            var k = Rope(parts[1]);
            var y = F.scaled_dot_product_attention(q, k, parts[2], p: training ? Dropout : 0.0, is_casual: true);
            return resid_drop.forward(proj.forward(y.transpose(1, 2).reshape(b, t, c)));
        }
    }

    private sealed class SwiGlu : nn.Module<Tensor, Tensor>
    {
        private readonly Linear up, gate, down;

        public SwiGlu(int c, int dff) : base(nameof(SwiGlu))
        {
            up = nn.Linear(c, dff, hasBias: true);
            gate = nn.Linear(c, dff, hasBias: true);
            down = nn.Linear(dff, c, hasBias: true);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => down.forward(F.silu(gate.forward(x)) * up.forward(x));
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly RmsNorm ln1, ln2;
        private readonly Attention attn;
        private readonly SwiGlu mlp;
        private readonly TorchSharp.Modules.Dropout drop;

        public Block(Shapes.Niels cfg) : base(nameof(Block))
        {
            ln1 = new RmsNorm(cfg.C, 1e-5);
            attn = new Attention(cfg.C, cfg.H, cfg.T);
            ln2 = new RmsNorm(cfg.C, 1e-5);
            mlp = new SwiGlu(cfg.C, cfg.DFf);
            drop = nn.Dropout(Dropout);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = x + drop.forward(attn.forward(ln1.forward(x)));
            return x + drop.forward(mlp.forward(ln2.forward(x)));
        }
    }

    private sealed class NielsGpt : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding tok_emb;
        private readonly TorchSharp.Modules.Dropout drop;
        private readonly ModuleList<Block> blocks;
        private readonly RmsNorm ln_f;

        public NielsGpt(Shapes.Niels cfg) : base(nameof(NielsGpt))
        {
            tok_emb = nn.Embedding(cfg.V, cfg.C);
            drop = nn.Dropout(Dropout);
            blocks = nn.ModuleList(Enumerable.Range(0, cfg.L).Select(_ => new Block(cfg)).ToArray());
            ln_f = new RmsNorm(cfg.C, 1e-5);
            RegisterComponents();
            using var noGrad = no_grad();
            foreach (var (name, p) in named_parameters())
            {
                if (name.EndsWith("bias", StringComparison.Ordinal)) nn.init.zeros_(p);
                else if (p.dim() >= 2) nn.init.normal_(p, 0.0, 0.02);
            }
        }

        public override Tensor forward(Tensor idx)
        {
            var h = drop.forward(tok_emb.forward(idx));
            foreach (var block in blocks) h = block.forward(h);
            return F.linear(ln_f.forward(h), tok_emb.weight!); // tied LM head
        }
    }
}
