using Dlm.Core;
using Dlm.Core.Config;
using Dlm.Training.Supervised;

namespace Dlm.Training.Recipes;

/// <summary>The recipes <c>dlm recipe</c> runs, and the one way each is bound and started.</summary>
public static class RecipeRegistry
{
    /// <summary>Every recipe, in the order <c>dlm recipe --help</c> lists them.</summary>
    public static IReadOnlyList<Recipe> All { get; } = [SlBasic.Recipe];

    /// <summary>The recipe called <paramref name="name"/>.</summary>
    public static Recipe Find(string name) =>
        All.FirstOrDefault(r => r.Name == name)
        ?? throw new UsageException($"unknown recipe '{name}': expected one of {string.Join(", ", All.Select(r => r.Name))}");

    /// <summary>Binds <paramref name="args"/> (<c>key=value</c> and <c>--help</c>) onto the recipe's defaults.</summary>
    public static (SupervisedConfig Config, ConfigBinding Binding) Bind(Recipe recipe, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var config = recipe.Defaults();
        var binding = ConfigBinder.Bind(config, args);
        return (config, binding);
    }
}
