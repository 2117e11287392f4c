using System.CommandLine;
using Dlm.Core;
using Dlm.Documents.Format;

namespace Dlm.Cli.Commands;

/// <summary>`dlm fmt FILE... [--check]`: rewrite documents in canonical form.</summary>
internal static class FmtCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = ".dlm documents to format.", Arity = ArgumentArity.OneOrMore };
        var check = new Option<bool>("--check") { Description = "Change nothing; exit 1 if any file is not in canonical form." };
        var cmd = new Command("fmt",
            "Rewrite .dlm documents in canonical form (atomically): UTF-8 without BOM, LF, frontmatter migrated to the " +
            "current schema with the keys it sets in schema order, leading prose unfenced, other sections fenced, " +
            "section content byte for byte so every section id stays the same.")
        { files, check };
        cmd.SetAction(parse =>
        {
            try
            {
                return Run(parse.GetValue(files)!, parse.GetValue(check));
            }
            catch (DlmException e) when (e is not UsageException)
            {
                // Like `dlm show` and `dlm train`: a parse error is the bare `file:line:col: message` line.
                Console.Error.WriteLine(e.Message);
                return CliApp.ExitUserError;
            }
        });
        return cmd;
    }

    private static int Run(string[] files, bool checkOnly)
    {
        var dirty = 0;
        foreach (var file in files)
        {
            var doc = DlmDocumentReader.ReadFile(file);
            if (DlmDocumentWriter.IsCanonical(doc))
            {
                if (!checkOnly) Console.Error.WriteLine($"unchanged: {file}");
                continue;
            }
            dirty++;
            if (checkOnly)
            {
                Console.Error.WriteLine($"would reformat: {file}");
                continue;
            }
            AtomicFile.WriteAllText(file, DlmDocumentWriter.Canonical(doc));
            Console.Error.WriteLine($"formatted: {file}");
        }
        return checkOnly && dirty > 0 ? CliApp.ExitUserError : CliApp.ExitOk;
    }
}
