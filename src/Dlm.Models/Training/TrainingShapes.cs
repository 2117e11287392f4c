using Dlm.Models.Config;
using Dlm.Models.Transformer;
using Dlm.Numerics.Gemm;

namespace Dlm.Models.Training;

/// <summary>
/// The top-level products a training step of a model issues, as <see cref="TransformerModel"/> issues
/// them (W stored out×in): per linear the forward Y = X·Wᵀ, the input gradient dX = dY·W and, unless
/// the weight is frozen (LoRA), dW += dYᵀ·X; the LM head per chunk (its first chunk writes its weight
/// gradient, the others add to it). Attention's block products run inside parallel loops on the
/// managed kernel and LoRA's rank-r products are below what <see cref="PerShapeGemm"/> times: neither is listed.
/// </summary>
public static class TrainingShapes
{
    /// <summary>
    /// The products of a step on <paramref name="rows"/> tokens (all of them weighted), and of the same
    /// products on fewer rows, halving down to where <see cref="PerShapeGemm"/> no longer times them: a
    /// shorter batch, and the weighted rows of a masked one (the last block after attention and the LM
    /// head run on those only), land in one of these classes.
    /// </summary>
    public static IReadOnlyList<GemmProduct> Of(TransformerModel model, int rows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var cfg = model.Config;
        bool frozen = model.Lora is not null;
        int c = cfg.DModel, hd = cfg.ResolvedHeadDim, qd = cfg.Heads * hd, qkv = (cfg.Heads + 2 * cfg.KvHeads) * hd;
        int fc = cfg.Family != ModelFamily.Gpt2 ? 2 * cfg.DFf : cfg.DFf;
        var list = new List<GemmProduct>();
        void Linear(string name, int r, int inF, int outF)
        {
            list.Add(new($"{name}.forward", false, true, r, outF, inF, false));
            list.Add(new($"{name}.backward.dx", false, false, r, inF, outF, false));
            if (!frozen) list.Add(new($"{name}.backward.dw", true, false, outF, inF, r, true));
        }
        for (int r = rows; ; r = Math.Max(1, r / 2))
        {
            string at = r == rows ? "" : $"@{r}";
            Linear("qkv" + at, r, c, qkv);
            Linear("outproj" + at, r, qd, c);
            Linear("mlpup" + at, r, c, fc);
            Linear("mlpdown" + at, r, cfg.DFf, c);
            int head = Math.Min(model.HeadChunkRows, r);
            list.Add(new($"lmhead{at}.forward", false, true, head, cfg.VocabSize, c, false));
            list.Add(new($"lmhead{at}.backward.dx", false, false, head, c, cfg.VocabSize, false));
            if (!frozen)
            {
                list.Add(new($"lmhead{at}.backward.dw", true, false, cfg.VocabSize, c, head, false));
                list.Add(new($"lmhead{at}.backward.dw.add", true, false, cfg.VocabSize, c, head, true));
            }
            // Rows above PerShapeGemm.LargeRows share one class: halve from there; stop once even the head's product is too small to time.
            if (r == 1 || (long)head * cfg.VocabSize * c < PerShapeGemm.MinTimedWork) break;
            if (r > PerShapeGemm.LargeRows) r = PerShapeGemm.LargeRows;
        }
        return list;
    }
}
