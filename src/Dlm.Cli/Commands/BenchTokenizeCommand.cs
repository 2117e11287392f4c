using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Tokenizers;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm bench tokenize`: encoding speed of dlm's tokenizer (single-threaded and on all cores), and,
/// when node and the reference packages are installed (tools/reference/setup.sh), the Rust Hugging
/// Face tokenizers timed on the same text in the same run by tools/reference/bench_tokenizers.mjs;
/// for a SentencePiece model, the Python sentencepiece library by tools/reference/bench_sentencepiece.py.
/// </summary>
internal static class BenchTokenizeCommand
{
    /// <summary>The `tokenize` subcommand, to sit under `bench`.</summary>
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "A tokenizer.json, a SentencePiece .model, or a folder holding one.", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "Text file; each non-empty line is one text to encode.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var seconds = new Option<double>("--seconds") { Description = "Time spent per measurement (best pass wins).", DefaultValueFactory = _ => 3 };
        var noReference = new Option<bool>("--no-reference") { Description = "Do not time the reference library." };
        var cmd = new Command("tokenize", "Measure tokenizer encode speed (MB/s, tokens/s, allocation per token) against the Rust tokenizers (sentencepiece for a .model).")
        { tokenizer, input, json, seconds, noReference };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(tokenizer)!;
            var file = parse.GetValue(input)!;
            if (!file.Exists) throw new DlmException($"{file.FullName}: no such file");
            var tok = Tokenizer.FromPath(path);
            var lines = File.ReadLines(file.FullName).Where(l => l.Length > 0).ToList();
            var r = TokenizerBenchmark.Run(tok, lines, parse.GetValue(seconds));
            var report = new JsonObject
            {
                ["tokenizer"] = path,
                ["input"] = file.FullName,
                ["lines"] = r.Lines,
                ["bytes"] = r.Bytes,
                ["tokens"] = r.Tokens,
                ["single_thread_mb_per_s"] = Math.Round(r.SingleThreadMbPerS, 3),
                ["all_threads_mb_per_s"] = Math.Round(r.AllThreadsMbPerS, 3),
                ["tokens_per_s"] = Math.Round(r.TokensPerS),
                ["alloc_bytes_per_token"] = Math.Round(r.AllocBytesPerToken, 3),
                ["threads"] = r.Threads,
            };
            if (!parse.GetValue(noReference))
            {
                bool spm = tok.IsSentencePiece;
                var single = RunReference(path, file.FullName, parse.GetValue(seconds), parallel: false, spm, out var why);
                var all = single is null ? null : RunReference(path, file.FullName, parse.GetValue(seconds), parallel: true, spm, out why);
                if (single is not null && all is not null)
                {
                    double rs = single["batch_mb_per_s"]!.GetValue<double>();
                    double ra = all["batch_mb_per_s"]!.GetValue<double>();
                    report["reference"] = new JsonObject
                    {
                        ["library"] = spm ? single["library"]!.GetValue<string>() : "@anush008/tokenizers (Rust tokenizers via Node)",
                        ["tokens"] = single["tokens"]!.GetValue<long>(),
                        ["single_thread_mb_per_s"] = Math.Round(rs, 3),
                        ["single_encode_calls_mb_per_s"] = Math.Round(single["single_mb_per_s"]!.GetValue<double>(), 3),
                        ["all_threads_mb_per_s"] = Math.Round(ra, 3),
                        ["tokens_per_s"] = Math.Round(single["tokens_per_s"]!.GetValue<double>()),
                    };
                    report["single_thread_ratio"] = Math.Round(r.SingleThreadMbPerS / rs, 3);
                    report["all_threads_ratio"] = Math.Round(r.AllThreadsMbPerS / ra, 3);
                }
                else report["reference"] = new JsonObject { ["skipped"] = why };
            }
            if (parse.GetValue(json)) Console.WriteLine(report.ToJsonString(Json.Compact));
            else
                foreach (var (k, v) in report)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-24} {v?.ToJsonString(Json.Compact)}"));
            return CliApp.ExitOk;
        });
        return cmd;
    }

    /// <summary>
    /// Times the Rust tokenizers on the same file through tools/reference/bench_tokenizers.mjs (the
    /// Python sentencepiece through bench_sentencepiece.py for a SentencePiece model); null (with the
    /// reason in <paramref name="why"/>) when the runtime or the reference packages are missing.
    /// </summary>
    private static JsonObject? RunReference(string tokenizer, string input, double seconds, bool parallel, bool sentencePiece, out string why)
    {
        var script = ReferenceRun.FindScript(sentencePiece ? "bench_sentencepiece.py" : "bench_tokenizers.mjs", needsPackages: true);
        if (script is null) { why = $"tools/reference/{(sentencePiece ? "bench_sentencepiece.py" : "bench_tokenizers.mjs")} not found"; return null; }
        // Debian's python3-sentencepiece lives in the system interpreter, which a pyenv shim on PATH would hide.
        string runtime = !sentencePiece ? "node" : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        string[] args = [script, "--tokenizer", Path.GetFullPath(tokenizer), "--input", input, "--seconds", seconds.ToString(CultureInfo.InvariantCulture)];
        var env = new Dictionary<string, string> { ["TOKENIZERS_PARALLELISM"] = parallel ? "true" : "false" };
        return ReferenceRun.Json(runtime, args, $"{runtime} is not installed", out why, env);
    }
}
