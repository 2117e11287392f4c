namespace Dlm.Core.Config;

/// <summary>
/// The concrete types a polymorphic config field may hold, chosen on the command line by type name
/// (<c>dataset_builder=FromConversationFileBuilder</c>). On the field's declared type or on the property.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Property, Inherited = false)]
public sealed class ConfigVariantsAttribute(params Type[] types) : Attribute
{
    /// <summary>The concrete types, by their class names.</summary>
    public IReadOnlyList<Type> Types { get; } = types;
}

/// <summary>The one-line description of a config field, shown by <c>--help</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigDocAttribute(string text) : Attribute
{
    /// <summary>The description.</summary>
    public string Text { get; } = text;
}
