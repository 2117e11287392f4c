using System.CommandLine;
using System.Text;
using Dlm.Tokenizers;

namespace Dlm.Cli.Commands;

/// <summary>`dlm tokenize`: one JSON array of ids per input line, as the Hugging Face tokenizer (or sentencepiece, for a .model) would give.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A tokenizer.json, a SentencePiece .model (spm.model), or a folder holding tokenizer.json (and tokenizer_config.json) or spm.model.",
            Required = true,
        };
        var input = new Option<FileInfo?>("--input") { Description = "Text file to encode line by line (default: standard input)." };
        var special = new Option<bool>("--add-special-tokens") { Description = "Let the post-processor add its tokens (e.g. BOS); a SentencePiece model adds BOS and EOS." };
        var cmd = new Command("tokenize",
            "Encode text with a Hugging Face tokenizer.json or a SentencePiece model: one JSON array of ids per input line, in order.")
        { tokenizer, input, special };
        cmd.SetAction(parse =>
        {
            var tok = Tokenizer.FromPath(parse.GetValue(tokenizer)!);
            var file = parse.GetValue(input);
            if (file is not null && !file.Exists) throw new Dlm.Core.DlmException($"{file.FullName}: no such file");
            using var reader = file is null ? new StreamReader(Console.OpenStandardInput(), Encoding.UTF8) : new StreamReader(file.FullName, Encoding.UTF8);
            using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
            bool addSpecial = parse.GetValue(special);
            var ids = new int[4096];
            var sb = new StringBuilder();
            while (reader.ReadLine() is { } line)
            {
                int n;
                while (!tok.TryEncode(line, ids, out n, addSpecial)) ids = new int[n * 2];
                sb.Clear();
                sb.Append('[');
                for (int i = 0; i < n; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(ids[i]);
                }
                sb.Append(']');
                output.WriteLine(sb);
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
