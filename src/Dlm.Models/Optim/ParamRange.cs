namespace Dlm.Models.Optim;

/// <summary>
/// One trainable tensor inside the flat parameter arena (llm.c style): the optimizer sees the
/// model as one span of floats and a list of named ranges over it.
/// </summary>
/// <param name="Name">The tensor's name (Hugging Face style), for diagnostics only.</param>
/// <param name="Offset">Index of the tensor's first element in the arena.</param>
/// <param name="Length">Number of elements.</param>
/// <param name="Decay">Whether decoupled weight decay applies (false for norms, biases and, by default, embeddings).</param>
public readonly record struct ParamRange(string Name, int Offset, int Length, bool Decay);
