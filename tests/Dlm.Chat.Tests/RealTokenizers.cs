using Dlm.TestSupport;
using Dlm.Tokenizers;

namespace Dlm.Chat.Tests;

/// <summary>The real tokenizers of the reference packages, loaded once per test run.</summary>
internal static class RealTokenizers
{
    private static readonly Dictionary<string, Tokenizer> Loaded = new();

    public static Tokenizer Get(string model)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(model, out var t))
                Loaded[model] = t = Tokenizer.FromPath(ReferenceData.TokenizerFolder(model));
            return t;
        }
    }
}
