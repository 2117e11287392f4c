using System.Buffers;
using System.Security.Cryptography;
using Dlm.Core;
using Dlm.Data.Settings;
using Dlm.Tokenizers;

namespace Dlm.Data.Caches;

/// <summary>
/// The tokenizer a cache is built with, and the facts its <c>meta.json</c> records: the sha256 of
/// the tokenizer file, the vocabulary size, the token dtype that fits it, and the ids of the four
/// special tokens (which must exist, and match <c>expected_special_token_ids</c> when given).
/// </summary>
public sealed class CacheTokenizer
{
    private CacheTokenizer(Tokenizer tokenizer, string file, string sha256, SpecialTokenIds ids, TokenizerSettings settings)
    {
        Tokenizer = tokenizer;
        File = file;
        Sha256 = sha256;
        SpecialTokenIds = ids;
        Settings = settings;
        var literals = new List<string> { settings.SpecialTokens.System, settings.SpecialTokens.User, settings.SpecialTokens.Assistant, settings.SpecialTokens.EndOfTurn };
        foreach (var s in tokenizer.SpecialTokens) if (!literals.Contains(s)) literals.Add(s);
        SpecialLiterals = literals;
        _anyLiteral = SearchValues.Create(literals.Where(l => l.Length > 0).ToArray(), StringComparison.Ordinal);
    }

    // Every literal at once: one pass over a document instead of one per literal.
    private readonly SearchValues<string> _anyLiteral;

    /// <summary>The loaded tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The file hashed (the <c>tokenizer.json</c>, or the file given).</summary>
    public string File { get; }

    /// <summary>Lower-case hex sha256 of <see cref="File"/> (meta.json <c>tokenizer_sha256</c>).</summary>
    public string Sha256 { get; }

    /// <summary>The settings it was loaded from.</summary>
    public TokenizerSettings Settings { get; }

    /// <summary>The ids of sys, usr, asst and eot.</summary>
    public SpecialTokenIds SpecialTokenIds { get; }

    /// <summary>Every special token string a document must not contain: the four, then the tokenizer's own.</summary>
    public IReadOnlyList<string> SpecialLiterals { get; }

    /// <summary>Ids per vocabulary entry.</summary>
    public int VocabSize => Tokenizer.VocabSize;

    /// <summary>The dtype of this vocabulary: uint16, or uint32 when the vocabulary exceeds 65535 (R1).</summary>
    public TokenDtype Dtype => TokenDtype.For(VocabSize);

    private static readonly string[] TokenizerFileNames = ["tokenizer.json", "spm.model", "tokenizer.model"];

    /// <summary>Loads the tokenizer of <paramref name="settings"/> and checks its special tokens.</summary>
    /// <exception cref="DlmException">The tokenizer is missing, unreadable, or lacks a special token.</exception>
    public static CacheTokenizer Load(TokenizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!System.IO.File.Exists(settings.Path) && !Directory.Exists(settings.Path))
            throw new DlmException($"tokenizer not found: {settings.Path} (data.tokenizer.path)");
        var tokenizer = Tokenizer.FromPath(settings.Path);
        var file = settings.Path;
        if (Directory.Exists(file))
            file = TokenizerFileNames.Select(n => Path.Combine(settings.Path, n)).FirstOrDefault(System.IO.File.Exists)
                ?? throw new DlmException($"{settings.Path}: no tokenizer.json in this folder");
        string sha;
        using (var fs = System.IO.File.OpenRead(file)) sha = Convert.ToHexStringLower(SHA256.HashData(fs));
        int Id(string token, string key) => tokenizer.TokenToId(token)
            ?? throw new DlmException($"tokenizer {settings.Path} has no token '{token}' (data.tokenizer.special_tokens.{key}); train it with these special tokens or set them");
        var t = settings.SpecialTokens;
        var ids = new SpecialTokenIds(Id(t.System, "sys"), Id(t.User, "usr"), Id(t.Assistant, "asst"), Id(t.EndOfTurn, "eot"));
        if (settings.ExpectedSpecialTokenIds is { } want && want != ids)
            throw new DlmException($"tokenizer {settings.Path}: special token ids are {Show(ids)}, expected {Show(want)} (data.tokenizer.expected_special_token_ids)");
        return new CacheTokenizer(tokenizer, file, sha, ids, settings);
    }

    private static string Show(SpecialTokenIds i) => $"sys={i.Sys} usr={i.Usr} asst={i.Asst} eot={i.Eot}";

    /// <summary>The first special token literal found in <paramref name="text"/>, or null.</summary>
    public string? FindSpecialLiteral(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAny(_anyLiteral)) return null;
        foreach (var s in SpecialLiterals) // which one, in the order of SpecialLiterals
            if (s.Length > 0 && text.Contains(s, StringComparison.Ordinal)) return s;
        return null;
    }
}

/// <summary>How token ids are stored: R1's <c>uint16-le</c>, or <c>uint32-le</c> for vocabularies over 65535 ids.</summary>
/// <param name="Name">The meta.json <c>token_dtype</c>.</param>
/// <param name="Bytes">Bytes per token.</param>
public sealed record TokenDtype(string Name, int Bytes)
{
    /// <summary><c>uint16-le</c>.</summary>
    public static TokenDtype U16 { get; } = new("uint16-le", 2);

    /// <summary><c>uint32-le</c>.</summary>
    public static TokenDtype U32 { get; } = new("uint32-le", 4);

    /// <summary>The dtype a vocabulary of <paramref name="vocabSize"/> ids needs.</summary>
    public static TokenDtype For(int vocabSize) => vocabSize > 65535 ? U32 : U16;

    /// <summary>Parses a meta.json <c>token_dtype</c>.</summary>
    /// <exception cref="DlmException">Neither known name.</exception>
    public static TokenDtype Parse(string? name, string where) => name switch
    {
        "uint16-le" => U16,
        "uint32-le" => U32,
        _ => throw new DlmException($"{where}: unsupported token_dtype '{name}' (uint16-le or uint32-le)"),
    };
}
