using Dlm.Chat.Renderers;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.TestSupport;

namespace Dlm.Cli.Tests;

/// <summary>`dlm export gguf|ollama` and `dlm import gguf` end to end on a tiny niels model with the trained BPE fixture.</summary>
public sealed class ExportImportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dlm-cli-export-").FullName;
    private readonly string _model;

    public ExportImportTests()
    {
        _model = Path.Combine(_root, "tiny");
        var config = ModelConfig.NielsDefault(32) with { VocabSize = 2004, DModel = 32, Layers = 1, Heads = 2, KvHeads = 2, DFf = 64 };
        var m = new TransformerModel(config, 1, 1, inferenceOnly: true);
        m.InitializeWeights(3);
        HfModelFolder.Save(_model, config, m.Layout, m.Weights);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(RepoPaths.Fixture("bpe", f), Path.Combine(_model, f));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Adds special tokens to the model folder's tokenizer.json.
    private void AddTokens(params (int Id, string Content)[] tokens)
    {
        var path = Path.Combine(_model, "tokenizer.json");
        var patched = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var (id, content) in tokens)
            patched["added_tokens"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        File.WriteAllText(path, patched.ToJsonString());
    }

    [Fact]
    public void Export_gguf_then_import_gives_the_model_back()
    {
        var gguf = Path.Combine(_root, "tiny.gguf");
        var r = CliRunner.Run("export", "gguf", "--model", _model, "--type", "f32", "--out", gguf);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("llama, f32", r.Stdout);
        var back = Path.Combine(_root, "back");
        var i = CliRunner.Run("import", "gguf", gguf, "--out", back);
        Assert.True(i.ExitCode == 0, i.Stderr);
        Assert.Contains("niels", i.Stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_model, "model.safetensors")), File.ReadAllBytes(Path.Combine(back, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(back, "tokenizer.json")));
    }

    [Fact]
    public void Export_ollama_writes_a_modelfile_and_prints_the_create_command()
    {
        var outDir = Path.Combine(_root, "ollama-tiny");
        // Without --renderer the tokenizer decides: no chat template and no niels system token gives role_colon.
        var d = CliRunner.Run("export", "ollama", "--model", _model, "--out", Path.Combine(_root, "rc"));
        Assert.True(d.ExitCode == 0, d.Stderr);
        Assert.Contains("PARAMETER stop \"\"\"\n\nUser:\"\"\"\n", File.ReadAllText(Path.Combine(_root, "rc", "Modelfile")));

        // Give the fixture tokenizer niels-gpt's user, assistant and end-of-turn tokens at the model's spare ids
        // 2000..2002 but no system token: a system prompt is refused.
        AddTokens((2000, NielsTokens.DefaultUser), (2001, NielsTokens.DefaultAssistant), (2002, NielsTokens.DefaultEndOfTurn));
        var refused = CliRunner.Run("export", "ollama", "--model", _model, "--out", outDir, "--renderer", "niels", "--system", "Be brief.");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"{NielsTokens.DefaultSystem} is not a token of this tokenizer", refused.Stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "model.gguf")));
        // And the system token at the last spare id.
        AddTokens((2003, NielsTokens.DefaultSystem));
        var r = CliRunner.Run("export", "ollama", "--model", _model, "--out", outDir, "--renderer", "niels", "--system", "Be brief.");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var modelfile = File.ReadAllText(Path.Combine(outDir, "Modelfile"));
        Assert.StartsWith("FROM ./model.gguf\n", modelfile);
        Assert.Contains("TEMPLATE \"\"\"{{- range .Messages }}", modelfile);
        Assert.Contains($"PARAMETER stop \"{NielsTokens.DefaultEndOfTurn}\"\n", modelfile);
        Assert.Contains("SYSTEM \"\"\"Be brief.\"\"\"\n", modelfile);
        Assert.True(File.Exists(Path.Combine(outDir, "model.gguf")));
        var last = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Equal($"ollama create ollama-tiny -f {Path.Combine(outDir, "Modelfile")}", last);
    }

    [Fact]
    public void Bad_input_is_one_line_and_writes_nothing()
    {
        var gguf = Path.Combine(_root, "x.gguf");
        var t = CliRunner.Run("export", "gguf", "--model", _model, "--type", "q4_0", "--out", gguf);
        Assert.Equal(2, t.ExitCode);
        Assert.Contains("q4_0 is not supported", t.Stderr);
        Assert.Single(t.StderrLines);
        Assert.False(File.Exists(gguf));

        var rr = CliRunner.Run("export", "ollama", "--model", _model, "--out", Path.Combine(_root, "o"), "--renderer", "deepseekv3");
        Assert.Equal(1, rr.ExitCode);
        Assert.Contains("renderer deepseekv3 has no Ollama template", rr.Stderr);
        Assert.False(File.Exists(Path.Combine(_root, "o", "model.gguf")));

        File.WriteAllBytes(gguf, [(byte)'G', (byte)'G', (byte)'U', (byte)'F', 3, 0, 0, 0, 1, 0]);
        var i = CliRunner.Run("import", "gguf", gguf, "--out", Path.Combine(_root, "i"));
        Assert.Equal(1, i.ExitCode);
        Assert.Single(i.StderrLines);
        Assert.Contains("at byte 8: file ends while reading the tensor count", i.Stderr);
    }
}
