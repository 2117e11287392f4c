using System.Globalization;
using Dlm.Documents.Prompting;
using Dlm.Documents.Rows;
using Dlm.Documents.Training;
using Dlm.Hub;
using Dlm.Models.Generation;
using Dlm.Training.Client;
using Xunit.Abstractions;

namespace Dlm.Cli.Tests;

/// <summary>A test that runs only when <c>DLM_LONG_TESTS=1</c> (a long check, kept out of the default suite).</summary>
public sealed class LongFactAttribute : FactAttribute
{
    public LongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DLM_LONG_TESTS") != "1") Skip = "long check: set DLM_LONG_TESTS=1 to run it";
    }
}

/// <summary>
/// The longer check of document training: a small base (the llama-tiny preset, pretrained briefly
/// here on prose and chats about the same words, but not the facts) is LoRA-trained by
/// <c>dlm train</c> on a document of Q/A notes, and answers those questions better than before:
/// the mean loss per answer token falls by more than half, and more greedy answers name the right colour.
/// </summary>
public sealed class DocumentQaLearningTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Names = ["Anna", "Ben", "Cara", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jana", "Kai", "Lena", "Milo", "Nora", "Olaf", "Pia", "Rex", "Sara", "Tom", "Uma"];
    private static readonly string[] Colours = ["red", "blue", "green", "yellow", "white", "black", "orange", "purple"];
    private readonly string _work = Directory.CreateTempSubdirectory("dlm-docqa-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, true); }
        catch (IOException) { }
    }

    private static (string Q, string A) Fact(int i) => ($"What colour is {Names[i]}'s boat?", $"{Names[i]}'s boat is {Colours[(i * 3) % Colours.Length]}.");

    [LongFact]
    [Trait("Category", "Long")]
    public async Task A_small_base_lora_trained_on_qa_notes_answers_them_better()
    {
        // The base: tokenizer over all the words, then a brief full pretraining on text without the facts.
        var raw = Path.Combine(_work, "raw");
        var corpus = Names.SelectMany(n => new[] { $"{n} has a boat.", $"Who has a boat? {n} has a boat." })
            .Concat(Colours.Select(c => $"The {c} boat is on the water."))
            .Concat(Enumerable.Range(0, Names.Length).Select(i => Fact(i).Q + " " + Fact(i).A)).ToArray();
        TinyChatBase.Build(raw, corpus, seed: 3);
        var pre = new LocalTrainingClient(new LocalTrainingOptions { BaseModel = raw, LoraRank = 0, CheckpointRoot = Path.Combine(_work, "pre"), Seed = 3 });
        var tok = pre.GetTokenizer();
        var chat = Dlm.Chat.RendererRegistry.Create("chatml", tok);
        var texts = Names.Select(n => $"{n} has a boat. The boat is on the water.").Concat(Colours.Select(c => $"The {c} boat is on the water.")).ToList();
        var pretrain = texts.Select(t => Dlm.Chat.DatumBuilder.FromModelInputWeights(Dlm.Chat.ModelInput.FromInts(tok.Encode(t, true)), Enumerable.Repeat(1f, tok.Encode(t, true).Length).ToArray()))
            .Concat(Names.Select(n => Dlm.Chat.DatumBuilder.FromConversation(chat, [Dlm.Chat.Message.User("Who has a boat?"), Dlm.Chat.Message.Assistant($"{n} has a boat.")], Dlm.Chat.TrainOnWhat.AllMessages)))
            .ToList();
        for (int s = 0; s < 150; s++)
        {
            await pre.ForwardBackwardAsync(pretrain, LossFunctions.CrossEntropy);
            await pre.OptimStepAsync(new AdamParams { LearningRate = 3e-3 * (1 - s / 150.0), Beta2 = 0.99, GradClipNorm = 1 });
        }
        var baseDir = await pre.SaveWeightsForSamplerAsync("base");

        // The document: the 20 facts as Q/A notes.
        const string id = "01JD8X2Y3Z4A5B6C7D8E9F0G1H";
        var body = string.Concat(Enumerable.Range(0, Names.Length).Select(i => $"### Q\n{Fact(i).Q}\n### A\n{Fact(i).A}\n"));
        var doc = Path.Combine(_work, "boats.dlm");
        File.WriteAllText(doc, $"---\ndlm_id: {id}\nbase_model: {baseDir}\ntraining:\n  learning_rate: 0.01\n  num_epochs: 100\n  lr_scheduler: linear\n  lora_r: 8\n---\n::instruction::\n{body}");
        var home = Path.Combine(_work, "home");
        var r = CliRunner.RunIn(_work, new Dictionary<string, string> { ["DLM_HOME"] = home }, null, ["train", doc]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        output.WriteLine(r.Stderr);

        // Answer loss on every pair, before (the base: LoRA B starts at 0) and after (v0001's state).
        var opened = DocumentChat.Open(doc, new HubOptions { Offline = true }, home);
        var rows = RowBuilder.Build(opened.Document, null, opened.Base.Tokenizer, opened.Base.Renderer, 256, 42);
        var windows = rows.Rows.SelectMany(x => x.Windows).ToList();
        var client = new LocalTrainingClient(new LocalTrainingOptions
        {
            BaseModel = baseDir, LoraRank = 8, LoraAlpha = 16, LoraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"], CheckpointRoot = Path.Combine(_work, "eval"),
        });
        double before = DocumentTrainer.ValidationLoss(client, windows);
        var v1 = opened.AdapterDir(null)!;
        await client.LoadStateAsync(Path.Combine(v1, "training_state", "state.safetensors"), withOptimizer: false);
        double after = DocumentTrainer.ValidationLoss(client, windows);

        int Correct(string? adapter)
        {
            using var sampler = opened.Client(adapter);
            int ok = 0;
            for (int i = 0; i < Names.Length; i++)
            {
                var p = new SamplingParams { Temperature = 0, MaxTokens = 24, StopTokens = opened.StopTokens() }.Validate();
                var reply = opened.ReplyText(sampler.Sample(opened.PromptTokens(Fact(i).Q), 1, p).Sequences[0], p);
                if (reply.Contains(Colours[(i * 3) % Colours.Length], StringComparison.Ordinal)) ok++;
            }
            return ok;
        }
        int correctBefore = Correct(null), correctAfter = Correct(v1);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"answer loss {before:F4} -> {after:F4} nats/token ({after / before:P1}); greedy answers with the right colour {correctBefore}/{Names.Length} -> {correctAfter}/{Names.Length}"));
        Assert.True(after < 0.5 * before, $"answer loss {before} -> {after}");
        Assert.True(correctAfter > correctBefore, $"{correctBefore} -> {correctAfter}");
    }
}
