namespace Dlm.Tokenizers.Training;

/// <summary>One learned merge: the tokens <paramref name="Left"/> and <paramref name="Right"/> become <paramref name="Merged"/> (all ids).</summary>
/// <param name="Left">Id of the left token.</param>
/// <param name="Right">Id of the right token.</param>
/// <param name="Merged">Id of the token they form. Usually new; an existing id when the same string was formed before from another split.</param>
public readonly record struct BpeMerge(int Left, int Right, int Merged);
