using Dlm.Training.Supervised;

namespace Dlm.Training.Recipes;

/// <summary>A named training recipe: its defaults, which <c>key=value</c> overrides then change.</summary>
/// <param name="Name">The name on the command line (<c>sl-basic</c>).</param>
/// <param name="Description">One line for <c>dlm recipe --help</c>.</param>
/// <param name="Defaults">A fresh config holding the recipe's defaults.</param>
public sealed record Recipe(string Name, string Description, Func<SupervisedConfig> Defaults);
