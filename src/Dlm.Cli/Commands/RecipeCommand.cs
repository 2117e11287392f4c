using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Dlm.Training.Recipes;
using Dlm.Training.Supervised;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm recipe NAME [key=value ...]`: a training recipe with chz-style overrides. `dlm recipe NAME --help`
/// lists every field with its type, value and origin (the binder's help, not System.CommandLine's).
/// </summary>
internal static class RecipeCommand
{
    public static Command Create()
    {
        var cmd = new Command("recipe", "Run a training recipe (tinker-cookbook shapes) with key=value overrides; NAME --help lists its fields.");
        foreach (var recipe in RecipeRegistry.All)
        {
            var overrides = new Argument<string[]>("key=value") { Arity = ArgumentArity.ZeroOrMore, Description = "Overrides: field=value, dotted paths for nested fields." };
            var sub = new Command(recipe.Name, recipe.Description) { overrides };
            sub.SetAction(async (parse, ct) =>
            {
                var (config, _) = RecipeRegistry.Bind(recipe, parse.GetValue(overrides) ?? []);
                bool interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
                using var view = ConsoleTrainingView.ForConsole();
                await SupervisedTrainer.RunAsync(config, new SupervisedRunOptions
                {
                    View = view,
                    Input = Console.In,
                    Interactive = interactive,
                }, ct).ConfigureAwait(false);
                return CliApp.ExitOk;
            });
            cmd.Subcommands.Add(sub);
        }
        return cmd;
    }

    /// <summary>
    /// Wraps the root's help so that `dlm recipe NAME --help` prints the recipe's fields (with the other
    /// overrides on the line applied, so it shows the values they resolve to).
    /// </summary>
    public static void HookHelp(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().First();
        help.Action = new RecipeHelpAction(help.Action!);
    }

    private sealed class RecipeHelpAction(CommandLineAction inner) : SynchronousCommandLineAction
    {
        // Like the help it wraps: it ends the command, so missing required options are not errors.
        public override bool Terminating => inner.Terminating;

        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            if (command.Parents.OfType<Command>().Any(p => p.Name == "recipe") && RecipeRegistry.All.Any(r => r.Name == command.Name))
            {
                var tokens = parseResult.CommandResult.Tokens.Select(t => t.Value).Where(v => v != "--help" && v != "-h" && v != "-?");
                var (_, binding) = RecipeRegistry.Bind(RecipeRegistry.Find(command.Name), [.. tokens, "--help"]);
                Console.Out.Write($"dlm recipe {command.Name}: {command.Description}\n\n" + binding.HelpText());
                return CliApp.ExitOk;
            }
            return ((SynchronousCommandLineAction)inner).Invoke(parseResult);
        }
    }
}
