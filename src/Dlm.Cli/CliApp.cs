using System.CommandLine;
using Dlm.Cli.Commands;
using Dlm.Core;

namespace Dlm.Cli;

/// <summary>
/// The `dlm` command tree and its one error boundary: user errors (<see cref="DlmException"/>)
/// print one line and exit 1, usage errors exit 2, anything else is a bug and shows its stack.
/// </summary>
internal static class CliApp
{
    public const int ExitOk = 0, ExitUserError = 1, ExitUsage = 2;

    /// <summary>Every top-level command, in the order `dlm --help` lists them.</summary>
    private static IEnumerable<Command> Commands() =>
    [
        DemoCommand.Create(),
        DoctorCommand.Create(),
        TokenizeCommand.Create(),
        TokenizerCommand.Create(),
        RenderCommand.Create(),
        ModelCommand.Create(),
        InitCommand.Create(),
        ShowCommand.Create(),
        FmtCommand.Create(),
        TrainCommand.Create(),
        PromptCommand.Create(),
        ReplCommand.Create(),
        SampleCommand.Create(),
        ChatCommand.Create(),
        ExportCommand.Create(),
        ImportCommand.Create(),
        RecipeCommand.Create(),
        ServeCommand.Create(),
        ModelsCommand.Create(),
        CacheCommand.Create(),
        .. ScratchCommands.Create(),
        BenchCommand.Create(),
    ];

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "dlm: train small language models on your own machine, no Python.\n" +
            "Tokenizers, token caches, training recipes, sampling and serving, .dlm documents and GGUF export, on a C# engine (forward and backward by hand, GEMM through OpenBLAS or SIMD).");
        foreach (var c in Commands()) root.Subcommands.Add(c);
        RecipeCommand.HookHelp(root);
        return root;
    }

    public static int Run(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"dlm: {e.Message}");
            Console.Error.WriteLine($"Run '{HelpHint(parse)}' for usage.");
            return ExitUsage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dlm: {e.Message}");
            return ExitUsage;
        }
        catch (DlmException e)
        {
            Console.Error.WriteLine($"dlm: {e.Message}");
            return ExitUserError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("dlm: cancelled");
            return 130;
        }
    }

    private static string HelpHint(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command is RootCommand ? "dlm" : r.Command.Name);
        return string.Join(' ', names) + " --help";
    }
}
