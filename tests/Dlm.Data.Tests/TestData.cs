using Dlm.Data.Settings;
using Dlm.TestSupport;

namespace Dlm.Data.Tests;

/// <summary>Temporary folders with settings files around the committed example tokenizer.</summary>
public sealed class TestData : IDisposable
{
    public TestData()
    {
        Dir = Path.Combine(Path.GetTempPath(), "dlm-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public static string Tokenizer => Path.Combine(RepoPaths.Root, "data", "tokenizer", "tokenizer.json");

    public string Write(string relative, string text)
    {
        var p = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    public const string Primer = """
        {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello! How can I help?"}]}
        {"messages":[{"role":"user","content":"What is 2 plus 2?"},{"role":"assistant","content":"4."}]}
        {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris."}]}
        {"messages":[{"role":"user","content":"bye"},{"role":"assistant","content":"Goodbye!"}]}
        """;

    /// <summary>Settings with a lines source 'notes' (pretrain) and the primer, in <see cref="Dir"/>.</summary>
    public DataSettings Settings(string extra = "", string sources = "", string mixPretrain = "{notes: 1.0}", string mixSft = "{primer: 1.0}", params string[] overrides)
    {
        if (!File.Exists(Path.Combine(Dir, "primer.jsonl"))) Write("primer.jsonl", Primer);
        if (!File.Exists(Path.Combine(Dir, "notes.txt")))
            Write("notes.txt", string.Join("\n", Enumerable.Range(0, 300).Select(i => $"Line {i}: the quick brown fox number {i * 7 % 13} jumps over the lazy dog.")) + "\n");
        var yaml = $"""
            data:
              caches: {"{"}pretrain_token_cache: cache/pretrain, sft_token_cache: cache/sft{"}"}
              tokenizer: {"{"}path: {Tokenizer}, expected_special_token_ids: {"{"}sys: 3, usr: 4, asst: 5, eot: 6{"}"}{"}"}
              shard_bytes: 2048
            {extra}
              sources:
                notes: {"{"}kind: lines, path: notes.txt, val_tokens: 500{"}"}
                primer: {"{"}kind: primer, path: primer.jsonl{"}"}
            {sources}
              mix_pretrain: {mixPretrain}
              mix_sft: {mixSft}
            """;
        var path = Write("settings.yaml", yaml);
        return SettingsLoader.Load(path, Core.Config.KeyValueArgs.Parse(overrides));
    }

    public static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
