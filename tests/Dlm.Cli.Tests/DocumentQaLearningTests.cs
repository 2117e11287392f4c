using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Chat;
using Dlm.Documents.Prompting;
using Dlm.Documents.Rows;
using Dlm.Documents.Training;
using Dlm.Hub;
using Dlm.TestSupport;
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
/// The longer check of document training, all through the real <c>dlm</c>: <c>dlm tokenizer train</c>
/// (1024 ids over Brown and sentences about the names and boats, not the facts), <c>dlm cache build-all</c>
/// and <c>dlm pipeline</c> pretrain a small niels model from scratch (600 steps on Brown plus those
/// sentences, then 30 SFT steps on chats about them); its SFT checkpoint is the <c>--base</c> of
/// <c>dlm train notes</c> on 20 Q/A notes ("What colour is Anna's boat?" → "Anna's boat is red."). The
/// mean loss per answer token, on the validation rows and on all 20 answers, falls by more than
/// <see cref="MarginNats"/>, and <c>dlm prompt</c> gives more of the notes' answers word for word.
/// </summary>
public sealed class DocumentQaLearningTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>How far the answer losses must fall (nats per answer token).</summary>
    private const double MarginNats = 2.0;

    private static readonly string[] Names = ["Anna", "Ben", "Cara", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jana", "Kai", "Lena", "Milo", "Nora", "Olaf", "Pia", "Rex", "Sara", "Tom", "Uma"];
    private static readonly string[] Colours = ["red", "blue", "green", "yellow", "white", "black", "orange", "purple"];
    private const string Special = "84a5023f67d74cf29cc4001becde983c";
    private readonly string _work = Directory.CreateTempSubdirectory("dlm-docqa-").FullName;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public void Dispose()
    {
        try { Directory.Delete(_work, true); }
        catch (IOException) { }
    }

    private static (string Q, string A) Fact(int i) => ($"What colour is {Names[i]}'s boat?", $"{Names[i]}'s boat is {Colours[(i * 3) % Colours.Length]}.");

    private CliRunner.Result Dlm(IDictionary<string, string>? env, params string[] args)
    {
        var r = CliRunner.RunIn(_work, env, null, args);
        Assert.True(r.ExitCode == 0, $"dlm {string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stderr}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] dlm {args[0]} {(args.Length > 1 ? args[1] : "")}"));
        return r;
    }

    private string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    // The settings of the from-scratch run: Brown (300k train, 20k val tokens) 70% and the boat sentences 30%
    // for pretraining, the boat chats for SFT; a 4-block niels model of width 128 at context 64.
    private static string Settings(string brown) => $$"""
        data:
          caches: {pretrain_token_cache: cache/pretrain, sft_token_cache: cache/sft}
          tokenizer:
            path: tokenizer/tokenizer.json
            special_tokens:
              sys: <|ngpt_sys_{{Special}}|>
              usr: <|ngpt_usr_{{Special}}|>
              asst: <|ngpt_asst_{{Special}}|>
              eot: <|ngpt_eot_{{Special}}|>
            expected_special_token_ids: {sys: 3, usr: 4, asst: 5, eot: 6}
          shard_bytes: 262144
          sources:
            brown: {kind: brown, path: {{brown}}, val_tokens: 20000, train_tokens: 300000, shuffle_buffer: 0}
            boats: {kind: lines, path: boats.txt, val_path: boats-val.txt}
            chats: {kind: conversations, path: chats.jsonl, val_frac: 0.1}
          mix_pretrain: {brown: 0.7, boats: 0.3}
          mix_sft: {chats: 1.0}
        model:
          init: preset:niels-tiny
          context_length: 64
          d_model: 128
          layers: 4
          heads: 4
          d_ff: 384
        run:
          dir: run
        pretrain:
          batch_size: 8
          max_steps: 600
          lr: 3e-3
          min_lr: 3e-4
          warmup_steps: 20
          eval_every: 100
          eval_batches: 4
          save_every: 600
          keep_checkpoints: 1
        sft:
          batch_size: 8
          max_steps: 30
          lr: 1e-3
          min_lr: 1e-4
          warmup_steps: 3
          eval_every: 15
          eval_batches: 2
          save_every: 30
          keep_checkpoints: 1
        """;

    [LongFact]
    [Trait("Category", "Long")]
    public async Task A_base_pretrained_by_dlm_pipeline_then_lora_trained_on_qa_notes_answers_them_better()
    {
        // Text for the tokenizer and the pretraining: Brown, and sentences and chats about the names
        // and boats that never pair a name with a colour.
        var brown = Write("brown.txt", ReferenceData.BrownLines());
        var boats = Names.SelectMany(n => new[] { $"{n} has a boat. The boat is on the water.", $"Who has a boat? {n} has a boat." })
            .Concat(Colours.Select(c => $"The {c} boat is on the water.")).ToList();
        Write("boats.txt", boats);
        Write("boats-val.txt", boats.Take(8));
        static string Chat(string q, string a) => new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = q }, new JsonObject { ["role"] = "assistant", ["content"] = a }),
        }.ToJsonString();
        Write("chats.jsonl", Names.Select(n => Chat("Who has a boat?", $"{n} has a boat."))
            .Concat(Colours.Select(c => Chat("What is on the water?", $"The {c} boat is on the water."))));
        File.Copy(Path.Combine(RepoPaths.Root, "data", "primer.jsonl"), Path.Combine(_work, "primer.jsonl"));
        File.WriteAllText(Path.Combine(_work, "settings.yaml"), Settings(ReferenceData.BrownCorpus));

        Dlm(null, "tokenizer", "train", "--vocab-size", "1024", "--out", "tokenizer", brown, "boats.txt",
            "--special", "<unk>", "<s>", "</s>", $"<|ngpt_sys_{Special}|>", $"<|ngpt_usr_{Special}|>", $"<|ngpt_asst_{Special}|>", $"<|ngpt_eot_{Special}|>", "--");
        Dlm(null, "cache", "build-all", "--settings", "settings.yaml");
        var pipeline = Dlm(null, "pipeline", "--settings", "settings.yaml");
        output.WriteLine(string.Join('\n', pipeline.StderrLines.Concat(pipeline.Stdout.Split('\n')).Where(l => l.Contains("complete (", StringComparison.Ordinal))));
        var baseDir = Path.Combine(_work, "run", "sft", "checkpoints", "best");

        // The notes: a folder scaffolded with the pipeline's checkpoint as --base, its document then edited
        // as a user does: the 20 Q/A pairs (one instruction section each) and the training settings.
        var notes = Directory.CreateDirectory(Path.Combine(_work, "notes")).FullName;
        var home = new Dictionary<string, string> { ["DLM_HOME"] = Path.Combine(_work, "home") };
        Dlm(home, "train", "notes", "--base", baseDir, "--dry-run");
        var doc = Path.Combine(notes, ".dlm", "corpus.dlm");
        var scaffold = File.ReadAllLines(doc);
        var body = string.Concat(Enumerable.Range(0, Names.Length).Select(i => $"::instruction::\n### Q\n{Fact(i).Q}\n### A\n{Fact(i).A}\n"));
        File.WriteAllText(doc, string.Join('\n', scaffold.Where(l => l.StartsWith("dlm_id:", StringComparison.Ordinal) || l.StartsWith("dlm_version:", StringComparison.Ordinal) || l.StartsWith("base_model:", StringComparison.Ordinal)).Prepend("---"))
            + "\ntraining:\n  learning_rate: 0.01\n  num_epochs: 100\n  lr_scheduler: linear\n---\n" + body);

        (int Exact, double Overlap) Answers(string stage)
        {
            int exact = 0;
            double overlap = 0;
            for (int i = 0; i < Names.Length; i++)
            {
                var reply = Dlm(home, "prompt", "notes", Fact(i).Q, "--temperature", "0", "--max-tokens", "24").Stdout.Trim();
                var want = Fact(i).A.Split(' ');
                var got = reply.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (reply == Fact(i).A) exact++;
                overlap += want.Count(w => got.Contains(w, StringComparer.Ordinal)) / (double)want.Length;
                output.WriteLine($"{stage}: {Fact(i).Q} -> {reply}");
            }
            return (exact, overlap / Names.Length);
        }
        var before = Answers("base");

        var train = Dlm(home, "train", "notes");
        output.WriteLine(train.Stderr);

        // Answer loss (mean NLL per answer token, the function dlm train reports val loss with) on the
        // validation rows and on all 20 pairs: the base (LoRA B starts at 0), then v0001's adapter.
        var opened = DocumentChat.Open(doc, new HubOptions { Offline = true }, home["DLM_HOME"]);
        var rows = RowBuilder.Build(opened.Document, null, opened.Base.Tokenizer, opened.Base.Renderer, 64, 42);
        var all = rows.Rows.SelectMany(x => x.Windows).ToList();
        Assert.NotEmpty(rows.ValidationWindows);
        var client = new LocalTrainingClient(new LocalTrainingOptions
        {
            BaseModel = baseDir, LoraRank = 8, LoraAlpha = 16, LoraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"], CheckpointRoot = Path.Combine(_work, "eval"),
        });
        double valBefore = DocumentTrainer.ValidationLoss(client, rows.ValidationWindows), allBefore = DocumentTrainer.ValidationLoss(client, all);
        var v1 = opened.AdapterDir(null)!;
        await client.LoadStateAsync(Path.Combine(v1, "training_state", "state.safetensors"), withOptimizer: false);
        double valAfter = DocumentTrainer.ValidationLoss(client, rows.ValidationWindows), allAfter = DocumentTrainer.ValidationLoss(client, all);
        var logged = JsonNode.Parse(File.ReadAllText(Path.Combine(v1, "training_state", "trainer_state.json")))!["final_val_loss"]!.GetValue<double>();

        // Capacity reference: full fine-tuning of the same base on the same training rows (all of them
        // each step, 150 steps, lr 3e-3 decaying linearly) gets further than LoRA: what LoRA leaves is its
        // rank's limit, not a base that cannot hold the facts.
        double loraTrain = DocumentTrainer.ValidationLoss(client, rows.TrainWindows);
        var full = new LocalTrainingClient(new LocalTrainingOptions { BaseModel = baseDir, LoraRank = 0, CheckpointRoot = Path.Combine(_work, "full"), Seed = 42 });
        double total = rows.TrainWindows.Sum(d => d.Weights.ToArray().Sum());
        var mean = rows.TrainWindows.Select(d => new Datum(d.ModelInput, new Dictionary<string, TensorData>
        {
            [Datum.TargetTokensKey] = d.LossFnInputs[Datum.TargetTokensKey],
            [Datum.WeightsKey] = TensorData.FromFloat32(d.Weights.ToArray().Select(w => (float)(w / total)).ToArray()),
        })).ToList();
        const int fullSteps = 150;
        for (int s = 0; s < fullSteps; s++)
        {
            await full.ForwardBackwardAsync(mean, LossFunctions.CrossEntropy);
            await full.OptimStepAsync(DocumentTrainer.Adam(3e-3 * (1 - s / (double)fullSteps)));
        }
        double fullTrain = DocumentTrainer.ValidationLoss(full, rows.TrainWindows);

        var after = Answers("v0001");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"answer loss, validation rows ({rows.ValidationWindows.Count}): {valBefore:F4} -> {valAfter:F4} (dlm train logged {logged:F4}); all {Names.Length} pairs: {allBefore:F4} -> {allAfter:F4} nats/token"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"answer loss on the training rows: LoRA (v0001) {loraTrain:F4}, full fine-tuning of the same base ({fullSteps} steps) {fullTrain:F4}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dlm prompt --temperature 0: exact answers {before.Exact}/{Names.Length} -> {after.Exact}/{Names.Length}; answer words in the reply {before.Overlap:P0} -> {after.Overlap:P0}; {_clock.Elapsed.TotalMinutes:F1} min in all"));

        Assert.Equal(logged, valAfter, 3);
        Assert.True(valAfter < valBefore - MarginNats, $"validation answer loss {valBefore} -> {valAfter}");
        Assert.True(allAfter < allBefore - MarginNats, $"answer loss {allBefore} -> {allAfter}");
        Assert.True(after.Exact >= before.Exact + Names.Length / 2, $"exact answers {before.Exact} -> {after.Exact}");
        Assert.True(after.Overlap > before.Overlap, $"answer words {before.Overlap} -> {after.Overlap}");
        Assert.True(fullTrain < loraTrain, $"full fine-tuning {fullTrain} vs LoRA {loraTrain} on the training rows");
    }
}
