using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Lora;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Generation;

/// <summary>Arena offsets of one block's 1-D tensors in <see cref="InferenceModel"/>'s float vectors; −1 where absent.</summary>
internal readonly record struct BlockVectors(int Norm1W, int Norm1B, int QkvB, int OutB, int Norm2W, int Norm2B, int FcB, int ProjB);

/// <summary>
/// The weights of a model as inference reads them: matrices (embedding, every linear, the head,
/// GPT-2's positions) in their own precision — float32, or bfloat16 / float16 kept 16-bit in
/// memory and widened inside the kernels, half the bytes per decoded token — and the 1-D tensors
/// (norms, biases) in float32. Every matrix is kept in panels of 16 rows (<see cref="PanelMatrix"/>),
/// the layout the decode kernels stream; a prefill GEMM copies out (and widens) a block of panels at a time. Immutable
/// once built, so one model serves any number of
/// <see cref="InferenceSession"/>s. A LoRA adapter is either merged into the weights before they
/// are narrowed, or kept beside them in float32 and applied on the fly (unmerged).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "The matrices live as long as the model (sessions hold raw pointers into them); WeightMemory, a SafeHandle, frees them when the model is collected.")]
public sealed unsafe class InferenceModel
{
    // The matrices in native memory on huge pages where the OS gives them (WeightMemory): float32, or 16-bit bits.
    private readonly WeightMemory _matrices;

    // Rows of each matrix by layout offset (the panels need them to find an element).
    private readonly Dictionary<int, int> _rows = [];

    // Whether some float16 weight is infinity or NaN (the decode kernels then widen exactly).
    private readonly bool _hasSpecials;

    /// <summary>The configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where each tensor lives (the same offsets as the training arena).</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The precision the matrices are kept in.</summary>
    public WeightFormat Format { get; }

    /// <summary>The unmerged LoRA adapters applied on the fly, if any.</summary>
    public LoraAdapters? Lora { get; }

    internal float[]? LoraWeights { get; }
    internal float[] Vectors { get; }
    internal BlockVectors[] BlockVecs { get; }
    internal int NormFW { get; }
    internal int NormFB { get; }

    /// <summary>Whether the matrices' memory was advised for transparent huge pages (Linux with THP).</summary>
    internal bool HugePagesAdvised => _matrices.HugePagesAdvised;

    /// <summary>The matrices in panels (native, 2 MiB aligned, alive as long as this model): floats for F32, 16-bit bits otherwise.</summary>
    internal void* MatrixBase { get; }

    /// <summary>
    /// Builds the inference weights from a float32 arena in <paramref name="layout"/> order, narrowed
    /// to <paramref name="format"/>. With <paramref name="lora"/> and its arena, the adapters are
    /// merged into the matrices first (<paramref name="mergeLora"/>) or kept unmerged.
    /// </summary>
    public InferenceModel(ParameterLayout layout, ReadOnlySpan<float> weights, WeightFormat format, LoraAdapters? lora = null,
        ReadOnlySpan<float> loraWeights = default, bool mergeLora = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (weights.Length != layout.Count) throw new ArgumentException($"expected {layout.Count} weights, got {weights.Length}", nameof(weights));
        Layout = layout;
        Config = layout.Config;
        Format = format;
        float[]? merged = null;
        if (lora is not null)
        {
            if (loraWeights.Length != lora.Count) throw new ArgumentException($"expected {lora.Count} adapter weights, got {loraWeights.Length}", nameof(loraWeights));
            if (mergeLora)
            {
                merged = weights.ToArray();
                Merge(layout, lora, loraWeights, merged);
                weights = merged;
            }
            else
            {
                Lora = lora;
                LoraWeights = loraWeights.ToArray();
            }
        }

        // 1-D tensors in their own float arena; matrices in the chosen format at their layout offsets.
        var vecOffsets = new Dictionary<int, int>();
        int vecCount = 0;
        foreach (var t in layout.Tensors)
            if (t.Shape.Length == 1) { vecOffsets[t.Offset] = vecCount; vecCount += t.Length; }
        Vectors = new float[vecCount];
        foreach (var t in layout.Tensors)
            if (t.Shape.Length == 1) weights.Slice(t.Offset, t.Length).CopyTo(Vectors.AsSpan(vecOffsets[t.Offset]));
        int V(int offset) => offset < 0 ? -1 : vecOffsets[offset];
        BlockVecs = layout.Blocks.Select(b => new BlockVectors(V(b.Norm1W), V(b.Norm1B), V(b.QkvB), V(b.OutB), V(b.Norm2W), V(b.Norm2B), V(b.FcB), V(b.ProjB))).ToArray();
        NormFW = V(layout.NormFW);
        NormFB = V(layout.NormFB);

        // Advised for huge pages before the first write, so the kernel backs them with 2 MiB pages from the start.
        _matrices = new WeightMemory((long)layout.Count * format.BytesPerWeight());
        MatrixBase = _matrices.Pointer;
        var matrices = Matrices(layout);
        foreach (var (offset, rows, _) in matrices) _rows[offset] = rows;
        // Each matrix into panels in place (a panel at a time through a copy of its 16 rows). Whether a float16 matrix
        // holds infinity or NaN is noted (the 1-D tensors' slots of this arena are never read, so they do not count).
        if (format == WeightFormat.F32)
        {
            var floats = new Span<float>(MatrixBase, layout.Count);
            weights.CopyTo(floats);
            foreach (var (offset, rows, cols) in matrices)
            {
                var m = floats.Slice(offset, rows * cols);
                PanelMatVec.Pack<float>(m, rows, cols, m);
            }
            return;
        }
        var all = new Span<ushort>(MatrixBase, layout.Count);
        HalfBits.Narrow(weights, all, format);
        foreach (var (offset, rows, cols) in matrices)
        {
            var m = all.Slice(offset, rows * cols);
            _hasSpecials |= format == WeightFormat.F16 && PanelMatVec.HasF16Specials(m);
            PanelMatVec.Pack<ushort>(m, rows, cols, m);
        }
    }

    // Every matrix a kernel reads, as (offset, rows, cols): each block's q|k|v, output, fc (gate|up) and projection
    // matrices, the embedding, GPT-2's positions and an untied head.
    private static List<(int Offset, int Rows, int Cols)> Matrices(ParameterLayout layout)
    {
        var c = layout.Config;
        int d = c.DModel, hd = c.ResolvedHeadDim, qd = c.Heads * hd, qkv = (c.Heads + 2 * c.KvHeads) * hd;
        int fc = c.Family == ModelFamily.Gpt2 ? c.DFf : 2 * c.DFf;
        var list = new List<(int, int, int)> { (layout.Wte, c.VocabSize, d) };
        if (layout.Wpe >= 0) list.Add((layout.Wpe, c.ContextLength, d));
        if (layout.Head != layout.Wte) list.Add((layout.Head, c.VocabSize, d));
        foreach (var b in layout.Blocks)
        {
            list.Add((b.QkvW, qkv, d));
            list.Add((b.OutW, d, qd));
            list.Add((b.FcW, fc, d));
            list.Add((b.ProjW, d, c.DFf));
        }
        return list;
    }

    /// <summary>The matrix at layout offset <paramref name="offset"/> (<paramref name="rows"/> × <paramref name="cols"/>) as its panels.</summary>
    internal PanelMatrix Panel(int offset, int rows, int cols) =>
        new((byte*)MatrixBase + (long)offset * Format.BytesPerWeight(), rows, cols, Format, _hasSpecials);

    /// <summary>
    /// Loads a Hugging Face model folder (any of F32/F16/BF16 safetensors) in <paramref name="format"/>,
    /// with an optional PEFT adapter folder applied unmerged or merged.
    /// </summary>
    public static InferenceModel Load(string folder, WeightFormat format, string? adapterFolder = null, bool mergeAdapter = false)
    {
        var config = HfModelFolder.LoadConfig(folder);
        var layout = new ParameterLayout(config);
        var weights = new float[layout.Count];
        HfModelFolder.LoadWeights(folder, layout, weights);
        if (adapterFolder is null) return new InferenceModel(layout, weights, format);
        if (!Directory.Exists(adapterFolder)) throw new DlmException($"{adapterFolder}: adapter folder not found");
        var lora = new LoraAdapters(layout, HfModelFolder.LoadLoraConfig(adapterFolder));
        var loraWeights = new float[lora.Count];
        HfModelFolder.LoadLoraWeights(adapterFolder, lora, loraWeights);
        return new InferenceModel(layout, weights, format, lora, loraWeights, mergeAdapter);
    }

    /// <summary>The inference weights of a model being trained (a copy: later training steps do not reach it).</summary>
    public static InferenceModel FromModel(TransformerModel model, WeightFormat format = WeightFormat.F32, bool mergeLora = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Lora is null
            ? new InferenceModel(model.Layout, model.Weights, format)
            : new InferenceModel(model.Layout, model.Weights, format, model.Lora, model.TrainableWeights, mergeLora);
    }

    /// <summary>
    /// Bytes of weights one decode step reads: every block matrix and the LM head (the embedding
    /// and position rows of the step's tokens are negligible), plus unmerged adapters in float32.
    /// </summary>
    public long WeightBytesPerToken
    {
        get
        {
            int c = Config.DModel, hd = Config.ResolvedHeadDim, qkv = (Config.Heads + 2 * Config.KvHeads) * hd;
            int fc = Config.Family == ModelFamily.Gpt2 ? Config.DFf : 2 * Config.DFf;
            long n = Config.Layers * ((long)qkv * c + (long)c * Config.Heads * hd + (long)fc * c + (long)c * Config.DFf);
            n += (long)Config.VocabSize * Config.DModel;
            return n * Format.BytesPerWeight() + (Lora is null ? 0 : 4L * Lora.Count);
        }
    }

    /// <summary>Total bytes the weights take in memory.</summary>
    public long MemoryBytes => (long)Layout.Count * Format.BytesPerWeight() + 4L * Vectors.Length + 4L * (LoraWeights?.Length ?? 0);

    /// <summary>Row <paramref name="row"/> of a matrix at layout offset <paramref name="offset"/> (width <paramref name="width"/>), widened into <paramref name="destination"/>.</summary>
    internal void ReadRow(int offset, int row, int width, Span<float> destination)
    {
        PanelMatVec.ReadRow(Panel(offset, _rows[offset], width), row, destination);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Rows [row, row + count) of a matrix widened and transposed (<c>destination[k·count + j]</c> = W[row + j, k]),
    /// the Wᵀ block a prefill GEMM takes, the panels split over <paramref name="pool"/>; row is a multiple of
    /// <see cref="PanelMatVec.PanelRows"/>, destination is pinned.
    /// </summary>
    internal void ReadTransposed(WorkerPool pool, int offset, int rows, int cols, int row, int count, float* destination)
    {
        ParallelMatVec.ReadTransposed(pool, Panel(offset, rows, cols), row, count, destination);
        GC.KeepAlive(this);
    }

    private static void Merge(ParameterLayout layout, LoraAdapters lora, ReadOnlySpan<float> loraWeights, float[] weights)
    {
        int r = lora.Config.Rank;
        var gemm = GemmBackends.Managed;
        foreach (var a in lora.Adapters)
        {
            var o = layout.Blocks[a.Layer];
            int w = a.Slot switch { LinearSlot.Qkv => o.QkvW, LinearSlot.Out => o.OutW, LinearSlot.Fc => o.FcW, _ => o.ProjW };
            gemm.Sgemm(false, false, a.OutF, a.InF, r, lora.Config.Scale, loraWeights.Slice(a.BOffset, a.OutF * r), r,
                loraWeights.Slice(a.AOffset, r * a.InF), a.InF, 1f, weights.AsSpan(w + a.ColStart * a.InF, a.OutF * a.InF), a.InF);
        }
    }
}
