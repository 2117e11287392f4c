using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Transformer;

namespace Dlm.Models.Lora;

/// <summary>Which fused linear of a block an adapter sits on.</summary>
internal enum LinearSlot { Qkv, Out, Fc, Proj }

/// <summary>
/// One adapter: on block <paramref name="Layer"/>'s linear <paramref name="Slot"/>, output columns
/// [ColStart, ColStart + OutF) of the fused output, input width InF; A [r, InF] and B [OutF, r] in the adapter arena.
/// </summary>
internal sealed record LoraAdapter(string Module, int Layer, LinearSlot Slot, int ColStart, int OutF, int InF, int AOffset, int BOffset);

/// <summary>
/// The adapters of a model, their tensors laid out in one small arena named as PEFT names them
/// (<c>base_model.model.&lt;module&gt;.lora_A.weight</c>, <c>...lora_B.weight</c>).
/// </summary>
public sealed class LoraAdapters
{
    private readonly List<ParameterTensor> _tensors = [];

    internal List<LoraAdapter> Adapters { get; } = [];

    /// <summary>The settings.</summary>
    public LoraConfig Config { get; }

    /// <summary>Adapter tensors in arena order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>Total floats in the adapter arena.</summary>
    public int Count { get; private set; }

    /// <summary>Builds adapters for every targeted linear of <paramref name="layout"/>; throws when a target matches nothing.</summary>
    public LoraAdapters(ParameterLayout layout, LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(config);
        if (config.Rank <= 0) throw new DlmException($"lora: rank must be positive, not {config.Rank}");
        if (config.Dropout is < 0f or >= 1f) throw new DlmException($"lora: dropout must lie in [0, 1), not {config.Dropout}");
        Config = config;
        var m = layout.Config;
        int c = m.DModel, f = m.DFf, hd = m.ResolvedHeadDim, qd = m.Heads * hd, kvd = m.KvHeads * hd;
        var targets = new HashSet<string>(config.TargetModules, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int l = 0; l < m.Layers; l++)
        {
            var mods = m.Family == ModelFamily.Gpt2
                ? new (string Short, string Full, LinearSlot Slot, int Col, int Out, int In)[]
                {
                    ("c_attn", $"h.{l}.attn.c_attn", LinearSlot.Qkv, 0, 3 * c, c),
                    ("c_proj", $"h.{l}.attn.c_proj", LinearSlot.Out, 0, c, c),
                    ("c_fc", $"h.{l}.mlp.c_fc", LinearSlot.Fc, 0, f, c),
                    ("c_proj", $"h.{l}.mlp.c_proj", LinearSlot.Proj, 0, c, f),
                }
                : [
                    ("q_proj", $"model.layers.{l}.self_attn.q_proj", LinearSlot.Qkv, 0, qd, c),
                    ("k_proj", $"model.layers.{l}.self_attn.k_proj", LinearSlot.Qkv, qd, kvd, c),
                    ("v_proj", $"model.layers.{l}.self_attn.v_proj", LinearSlot.Qkv, qd + kvd, kvd, c),
                    ("o_proj", $"model.layers.{l}.self_attn.o_proj", LinearSlot.Out, 0, c, qd),
                    ("gate_proj", $"model.layers.{l}.mlp.gate_proj", LinearSlot.Fc, 0, f, c),
                    ("up_proj", $"model.layers.{l}.mlp.up_proj", LinearSlot.Fc, f, f, c),
                    ("down_proj", $"model.layers.{l}.mlp.down_proj", LinearSlot.Proj, 0, c, f),
                ];
            foreach (var (shortName, full, slot, col, outF, inF) in mods)
            {
                if (!targets.Contains(shortName) && !targets.Contains(full)) continue;
                used.Add(targets.Contains(shortName) ? shortName : full);
                int a = Add($"base_model.model.{full}.lora_A.weight", [config.Rank, inF]);
                int b = Add($"base_model.model.{full}.lora_B.weight", [outF, config.Rank]);
                Adapters.Add(new LoraAdapter(full, l, slot, col, outF, inF, a, b));
            }
        }
        var unused = targets.Except(used).ToList();
        if (unused.Count > 0)
            throw new DlmException($"lora: target module(s) {string.Join(", ", unused)} match no linear layer of this {m.ModelType} model");
    }

    private int Add(string name, int[] shape)
    {
        var t = new ParameterTensor(name, Count, shape, Transposed: false, Decay: true);
        _tensors.Add(t);
        Count = checked(Count + t.Length);
        return t.Offset;
    }
}
