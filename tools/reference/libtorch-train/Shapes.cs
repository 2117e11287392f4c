namespace LibTorchTrain;

/// <summary>bench_torch.py's niels presets (V, T, C, L, H, d_ff, batch) and bench_torch_llama.py's SmolLM2-135M shape.</summary>
internal static class Shapes
{
    public sealed record Niels(int V, int T, int C, int L, int H, int DFf, int Batch);

    public static readonly IReadOnlyDictionary<string, Niels> NielsPresets = new Dictionary<string, Niels>(StringComparer.Ordinal)
    {
        ["niels-default"] = new(16000, 256, 384, 8, 6, 1152, 8),
        ["niels-t512"] = new(16000, 512, 384, 8, 6, 1152, 8),
        ["niels-small"] = new(4096, 128, 192, 4, 4, 576, 8),
        ["niels-tiny"] = new(512, 64, 64, 2, 2, 192, 4),
    };

    // SmolLM2-135M: vocabulary 49152, hidden 576, 30 layers, 9 query heads and 3 key/value heads of 64, MLP 1536.
    public const int LlamaV = 49152, LlamaC = 576, LlamaL = 30, LlamaH = 9, LlamaKv = 3, LlamaDFf = 1536;
    public const double LlamaTheta = 1e5, LlamaEps = 1e-5;
}
