using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace LibTorchTrain;

/// <summary>
/// bench_torch_llama.py's model and step on libtorch: SmolLM2-135M's layout (the Hugging Face Llama
/// architecture) with random weights: token embedding -> 30 pre-norm blocks -> RMSNorm -> LM head tied
/// to the embedding. Block: RMSNorm (eps 1e-5) -> q/k/v projections (9 query heads, 3 key/value heads
/// of 64, no biases), RoPE on split halves (theta 1e5), causal SDPA (k/v repeated to the query heads),
/// o_proj -> residual; RMSNorm -> SwiGLU MLP, hidden 1536, no biases -> residual. No dropout in the base.
/// With LoRA the base is frozen and PEFT-style adapters y = W x + (alpha/r) B A dropout(x), r 8,
/// alpha 16, dropout 0.05, sit on q/k/v/o_proj (A ~ N(0, 0.02), B = 0); only they train.
/// </summary>
internal static class LlamaBench
{
    private const int Rank = 8;
    private const double Alpha = 16, LoraDropout = 0.05;
    private static readonly string[] Targets = ["q_proj", "k_proj", "v_proj", "o_proj"];

    public static JsonObject Run(int threads, int steps, int warmup, int seed, bool lora, int seq, int? batch)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(seed);
        int t = seq, b = batch ?? Math.Max(1, 2048 / seq);
        var model = new Llama(t, lora);
        model.train();
        var named = model.named_parameters().ToList();
        if (lora)
            foreach (var (name, p) in named) p.requires_grad = name.Contains("lora_", StringComparison.Ordinal);
        var trainable = named.Where(x => x.parameter.requires_grad).Select(x => x.parameter).ToList();
        bool Decays((string name, Parameter parameter) x) => x.parameter.dim() >= 2 && !x.name.Contains("embed_tokens", StringComparison.Ordinal);
        var decay = named.Where(x => x.parameter.requires_grad && Decays(x)).Select(x => x.parameter).ToList();
        var noDecay = named.Where(x => x.parameter.requires_grad && !Decays(x)).Select(x => x.parameter).ToList();
        var opt = optim.AdamW(
            [new AdamW.ParamGroup(decay, 3e-4, 0.9, 0.95, 1e-8, 0.1, false, false), new AdamW.ParamGroup(noDecay, 3e-4, 0.9, 0.95, 1e-8, 0.0, false, false)],
            lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8);
        const int c = Shapes.LlamaC, hd = c / Shapes.LlamaH;
        long matmul = Shapes.LlamaL * ((long)c * (Shapes.LlamaH + 2 * Shapes.LlamaKv) * hd + (long)Shapes.LlamaH * hd * c + 3L * c * Shapes.LlamaDFf)
            + (long)Shapes.LlamaV * c;
        double flopsPerToken = (lora ? 4.0 : 6.0) * matmul + 12.0 * Shapes.LlamaL * t * c;
        var run = StepLoop.Run(model, opt, trainable, Shapes.LlamaV, b, t, seed, warmup, steps, flopsPerToken);
        var head = new JsonObject
        {
            ["preset"] = "smollm2-135m-shape", ["threads"] = torch.get_num_threads(), ["torch"] = StepLoop.TorchVersion,
            ["batch"] = b, ["seq_len"] = t, ["tokens_per_step"] = b * t,
            ["params"] = named.Sum(x => x.parameter.numel()), ["matmul_params"] = matmul,
            ["lora"] = lora ? $"r={Rank} alpha={Alpha} dropout={LoraDropout} {string.Join(',', Targets)}" : "",
            ["trainable_params"] = trainable.Sum(x => x.numel()),
            ["attention"] = "scaled_dot_product_attention (is_causal)",
        };
        foreach (var (k, v) in run) head[k] = v?.DeepClone();
        head["peak_rss_mb"] = Math.Round(Native.PeakRssMb(), 1);
        return head;
    }

    private sealed class RmsNorm : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;

        public RmsNorm(long dim) : base(nameof(RmsNorm))
        {
            weight = nn.Parameter(ones(dim));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x * rsqrt(x.pow(2).mean([-1], keepdim: true) + Shapes.LlamaEps) * weight;
    }

    // nn.Linear without bias, plus an optional PEFT-style adapter.
    private sealed class LoraLinear : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;
        private readonly Parameter? lora_A, lora_B;
        private readonly TorchSharp.Modules.Dropout? drop;

        public LoraLinear(int fin, int fout, bool lora) : base(nameof(LoraLinear))
        {
            weight = nn.Parameter(empty(fout, fin).normal_(0.0, 0.02));
            if (lora)
            {
                lora_A = nn.Parameter(empty(Rank, fin).normal_(0.0, 0.02));
                lora_B = nn.Parameter(zeros(fout, Rank));
                drop = nn.Dropout(LoraDropout);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = F.linear(x, weight);
            if (lora_A is null) return y;
            return y + F.linear(F.linear(drop!.forward(x), lora_A), lora_B!) * (Alpha / Rank);
        }
    }

    private sealed class Attention : nn.Module<Tensor, Tensor>
    {
        private readonly LoraLinear q_proj, k_proj, v_proj, o_proj;
        private readonly Tensor sin, cos;

        public Attention(int t, bool lora) : base(nameof(Attention))
        {
            const int c = Shapes.LlamaC, hd = c / Shapes.LlamaH;
            q_proj = new LoraLinear(c, Shapes.LlamaH * hd, lora);
            k_proj = new LoraLinear(c, Shapes.LlamaKv * hd, lora);
            v_proj = new LoraLinear(c, Shapes.LlamaKv * hd, lora);
            o_proj = new LoraLinear(Shapes.LlamaH * hd, c, lora);
            var (s, co) = StepLoop.AngleTables(t, hd / 2, i => Math.Pow(Shapes.LlamaTheta, -2.0 * i / hd));
            // Hugging Face's tables repeat the half: (T, D) = cat(angles, angles).
            sin = cat([s, s], -1);
            cos = cat([co, co], -1);
            RegisterComponents();
        }

        // Hugging Face rotate_half RoPE on x (B, H, T, D).
        private Tensor Rope(Tensor x)
        {
            long h = x.shape[^1] / 2;
            var rot = cat([x.narrow(-1, h, h).neg(), x.narrow(-1, 0, h)], -1);
            return x * cos + rot * sin;
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], t = x.shape[1];
            const int hd = Shapes.LlamaC / Shapes.LlamaH;
            var q = q_proj.forward(x).view(b, t, Shapes.LlamaH, hd).transpose(1, 2);
            var k = k_proj.forward(x).view(b, t, Shapes.LlamaKv, hd).transpose(1, 2);
            var v = v_proj.forward(x).view(b, t, Shapes.LlamaKv, hd).transpose(1, 2);
            (q, k) = (Rope(q), Rope(k));
            const int rep = Shapes.LlamaH / Shapes.LlamaKv;
            (k, v) = (k.repeat_interleave(rep, dim: 1), v.repeat_interleave(rep, dim: 1));
            var y = F.scaled_dot_product_attention(q, k, v, is_casual: true);
            return o_proj.forward(y.transpose(1, 2).reshape(b, t, Shapes.LlamaH * hd));
        }
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly RmsNorm input_layernorm, post_attention_layernorm;
        private readonly Attention self_attn;
        private readonly LoraLinear gate_proj, up_proj, down_proj;

        public Block(int t, bool lora) : base(nameof(Block))
        {
            input_layernorm = new RmsNorm(Shapes.LlamaC);
            self_attn = new Attention(t, lora);
            post_attention_layernorm = new RmsNorm(Shapes.LlamaC);
            gate_proj = new LoraLinear(Shapes.LlamaC, Shapes.LlamaDFf, false);
            up_proj = new LoraLinear(Shapes.LlamaC, Shapes.LlamaDFf, false);
            down_proj = new LoraLinear(Shapes.LlamaDFf, Shapes.LlamaC, false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = x + self_attn.forward(input_layernorm.forward(x));
            var h = post_attention_layernorm.forward(x);
            return x + down_proj.forward(F.silu(gate_proj.forward(h)) * up_proj.forward(h));
        }
    }

    private sealed class Llama : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embed_tokens;
        private readonly ModuleList<Block> layers;
        private readonly RmsNorm norm;

        public Llama(int t, bool lora) : base(nameof(Llama))
        {
            embed_tokens = nn.Embedding(Shapes.LlamaV, Shapes.LlamaC);
            using (no_grad()) nn.init.normal_(embed_tokens.weight!, 0.0, 0.02);
            layers = nn.ModuleList(Enumerable.Range(0, Shapes.LlamaL).Select(_ => new Block(t, lora)).ToArray());
            norm = new RmsNorm(Shapes.LlamaC);
            RegisterComponents();
        }

        public override Tensor forward(Tensor idx)
        {
            var h = embed_tokens.forward(idx);
            foreach (var layer in layers) h = layer.forward(h);
            return F.linear(norm.forward(h), embed_tokens.weight!); // tied LM head
        }
    }
}
