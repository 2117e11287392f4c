using System.CommandLine;
using Dlm.Chat;
using Dlm.Chat.Ollama;
using Dlm.Core;
using Dlm.Models.IO.Gguf;
using Dlm.Tokenizers;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm export gguf|ollama`: a model folder (plus an optional LoRA adapter) as a GGUF file llama.cpp and Ollama run.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var cmd = new Command("export", "Export a model for llama.cpp, Ollama and LM Studio (GGUF).");
        cmd.Subcommands.Add(CreateGguf());
        cmd.Subcommands.Add(CreateOllama());
        return cmd;
    }

    private static Option<string> ModelOption() => new("--model")
    {
        Description = "Hugging Face model folder (config.json, safetensors, tokenizer.json): llama, qwen2, gpt2 or niels.", Required = true,
    };

    private static Option<string> AdapterOption() => new("--adapter") { Description = "PEFT LoRA adapter folder, merged into the weights first." };

    private static Option<string> TypeOption() => new("--type")
    {
        Description = "Tensor type of the weight matrices: f32, f16, bf16 or q8_0 (norms and biases stay f32).",
        DefaultValueFactory = _ => "f16",
    };

    private static Command CreateGguf()
    {
        var model = ModelOption();
        var adapter = AdapterOption();
        var type = TypeOption();
        var output = new Option<string>("--out") { Description = "The GGUF file to write.", Required = true };
        var cmd = new Command("gguf", "Write a GGUF v3 file: llama.cpp's metadata and tensor names, the tokenizer and chat template embedded.")
        { model, adapter, type, output };
        cmd.SetAction(parse =>
        {
            var result = Export(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(type)!, parse.GetValue(output)!);
            Console.WriteLine($"wrote {result.Path}: {result.Architecture}, {GgmlTypes.Name(result.Type)}, {result.Tensors} tensors, {result.Bytes} bytes, pre-tokenizer {result.PreTokenizer}");
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static Command CreateOllama()
    {
        var model = ModelOption();
        var adapter = AdapterOption();
        var type = TypeOption();
        var output = new Option<string>("--out") { Description = "Folder to write model.gguf and Modelfile into.", Required = true };
        var name = new Option<string>("--name") { Description = "Model name for `ollama create` (default: the output folder's name)." };
        var renderer = new Option<string>("--renderer") { Description = $"Chat layout for the template ({string.Join(", ", OllamaModelfile.SupportedRenderers)}); default: the one the tokenizer's chat template calls for." };
        var system = new Option<string>("--system") { Description = "System prompt (SYSTEM in the Modelfile)." };
        var cmd = new Command("ollama", "Write a GGUF file and an Ollama Modelfile (template, stop sequences, system prompt), then print the `ollama create` command.")
        { model, adapter, type, output, name, renderer, system };
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(model)!;
            var outDir = parse.GetValue(output)!;
            var modelName = parse.GetValue(name) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir))).ToLowerInvariant();
            if (!System.Text.RegularExpressions.Regex.IsMatch(modelName, "^[A-Za-z0-9][A-Za-z0-9._-]*(:[A-Za-z0-9._-]+)?$"))
                throw new UsageException($"'{modelName}' is not an Ollama model name (letters, digits, '.', '_', '-'); pass --name");
            // Everything the Modelfile needs is settled before the GGUF is written.
            var tokenizer = Tokenizer.FromPath(folder);
            var rendererName = parse.GetValue(renderer) ?? RendererRegistry.RecommendFor(tokenizer);
            var r = RendererRegistry.Create(rendererName, tokenizer);
            var nielsTokens = (r as Dlm.Chat.Renderers.NielsRenderer)?.Tokens;
            var template = OllamaModelfile.Template(rendererName, BosUnlessAdded(tokenizer), nielsTokens);
            var stops = OllamaModelfile.Stops(r, tokenizer);
            var missing = OllamaModelfile.MissingMarkers(template, tokenizer);
            var systemPrompt = parse.GetValue(system);
            if (missing.Count > 0 && systemPrompt is not null && missing.Any(m => m.Contains("system", StringComparison.Ordinal) || m == nielsTokens?.System))
                throw new DlmException($"{folder}: the {rendererName} template's {string.Join(", ", missing)} is not a token of this tokenizer, so --system cannot be rendered as the model was trained");
            foreach (var m in missing)
                Console.Error.WriteLine($"note: {m} in the {rendererName} template is not a token of this tokenizer; messages that need it would be tokenized as plain text");
            Directory.CreateDirectory(outDir);
            var result = Export(folder, parse.GetValue(adapter), parse.GetValue(type)!, Path.Combine(outDir, "model.gguf"));
            var modelfile = Path.Combine(outDir, "Modelfile");
            AtomicFile.WriteAllText(modelfile, OllamaModelfile.Build("model.gguf", template, stops, systemPrompt));
            Console.WriteLine($"wrote {result.Path}: {result.Architecture}, {GgmlTypes.Name(result.Type)}, {result.Bytes} bytes");
            Console.WriteLine($"wrote {modelfile}: renderer {rendererName}, {stops.Count} stop sequence(s)");
            Console.WriteLine($"ollama create {modelName} -f {Quote(Path.GetFullPath(modelfile))}");
            return CliApp.ExitOk;
        });
        return cmd;
    }

    // llama.cpp adds BOS itself when the tokenizer says so; otherwise the template must carry it.
    private static string? BosUnlessAdded(Tokenizer tokenizer)
    {
        if (tokenizer.BosToken is not { Length: > 0 } bos || tokenizer.TokenToId(bos) is not { } id) return null;
        var withSpecials = tokenizer.Encode("x", addSpecialTokens: true);
        return withSpecials.Length > 0 && withSpecials[0] == id ? null : bos;
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"'{path}'" : path;

    private static GgufExportResult Export(string model, string? adapter, string typeName, string outPath)
    {
        var type = GgmlTypes.Parse(typeName) ?? throw new UsageException($"--type {typeName} is not supported (dlm writes {string.Join(", ", GgufExporter.TypeNames)})");
        if (!AnsiConsole.Profile.Capabilities.Interactive) return GgufExporter.Export(model, adapter, type, outPath);
        GgufExportResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"writing {Path.GetFileName(outPath)}");
                result = GgufExporter.Export(model, adapter, type, outPath, (i, n) =>
                {
                    task.MaxValue = n;
                    task.Value = i + 1;
                });
            });
        return result!;
    }
}
