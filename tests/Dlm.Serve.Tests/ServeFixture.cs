using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Transformer;
using Dlm.TestSupport;
using Dlm.Tokenizers;

namespace Dlm.Serve.Tests;

/// <summary>
/// A tiny random-weight niels model written as a Hugging Face folder (a BPE tokenizer trained by
/// `dlm tokenizer train` with the niels role tokens, so the chat renderer is niels), and a server
/// over it on 127.0.0.1 with an ephemeral port and small limits.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public const int Context = 96, Slots = 8, MaxTokensLimit = 48, MaxPromptTokens = 80;
    public const long MaxBody = 16 * 1024;

    public string Dir { get; } = Directory.CreateTempSubdirectory("dlm-serve-").FullName;
    public Tokenizer Tokenizer { get; private set; } = null!;
    public ServedModel Served { get; private set; } = null!;
    public DlmServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public Uri Base => Server.BaseAddress;

    public async Task InitializeAsync()
    {
        WriteModel(Dir);
        Tokenizer = Tokenizer.FromPath(Dir);
        Served = ServedModel.Load(Dir);
        Server = await DlmServer.StartAsync(Served, Options());
    }

    public static ServeOptions Options(string? apiKey = null) => new()
    {
        Port = 0, Slots = Slots, Context = Context, MaxTokens = MaxTokensLimit, MaxPromptTokens = MaxPromptTokens, MaxBodyBytes = MaxBody, ApiKey = apiKey,
    };

    /// <summary>Writes the model folder: tokenizer, config.json, model.safetensors.</summary>
    public static void WriteModel(string dir, int dModel = 32, int layers = 2, int context = Context)
    {
        var r = CliRunner.Run("tokenizer", "train", "--vocab-size", "400", "--special", Dlm.Chat.Renderers.NielsTokens.DefaultSystem, Dlm.Chat.Renderers.NielsTokens.DefaultUser,
            Dlm.Chat.Renderers.NielsTokens.DefaultAssistant, Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn, "--eos", Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn, "--out", dir, "--", RepoPaths.Fixture("bpe", "train.txt"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var tokenizer = Tokenizer.FromPath(dir);
        var cfg = new ModelConfig
        {
            Family = ModelFamily.Niels, ModelType = "niels", VocabSize = tokenizer.VocabSize, ContextLength = context, DModel = dModel, Layers = layers,
            Heads = 4, KvHeads = 4, DFf = 2 * dModel, MlpBias = true, TiedEmbeddings = true,
        };
        var model = new TransformerModel(cfg, 1, 8, inferenceOnly: true);
        model.InitializeWeights(11);
        var w = model.Weights;
        var rng = new Random(12);
        for (int i = 0; i < w.Length; i++) w[i] += (float)(rng.NextDouble() - 0.5) * 0.6f;
        HfModelFolder.Save(dir, cfg, model.Layout, model.Weights);
    }

    /// <summary>`dlm sample` greedy on these prompt tokens: its JSON line.</summary>
    public JsonNode SampleTokens(int[] prompt, int maxTokens, params string[] extra)
    {
        var file = Path.Combine(Dir, $"prompt-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, JsonSerializer.Serialize(prompt) + "\n");
        var r = CliRunner.Run(["sample", "--model", Dir, "--prompt-tokens", file, "--temperature", "0", "--max-tokens", $"{maxTokens}", "--json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(r.Stdout.Trim())!;
    }

    /// <summary>`dlm sample --prompt TEXT` greedy: its JSON line.</summary>
    public JsonNode SampleText(string prompt, int maxTokens, params string[] extra)
    {
        var r = CliRunner.Run(["sample", "--model", Dir, "--prompt", prompt, "--temperature", "0", "--max-tokens", $"{maxTokens}", "--json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(r.Stdout.Trim())!;
    }

    public async Task<(int Status, JsonNode? Json)> PostAsync(string path, string body, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(Base, path)) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null) req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var res = await Http.SendAsync(req);
        var text = await res.Content.ReadAsStringAsync();
        return ((int)res.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<JsonNode> GetJsonAsync(string path) => JsonNode.Parse(await Http.GetStringAsync(new Uri(Base, path)))!;

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Http.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ServeGroup : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}
