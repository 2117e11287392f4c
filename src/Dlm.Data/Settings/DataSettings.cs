using Dlm.Chat;
using Dlm.Chat.Renderers;

namespace Dlm.Data.Settings;

/// <summary>
/// The resolved data settings (the <c>data:</c> block of a settings file, REFERENCE.md R1): cache
/// roots, tokenizer, renderer, sources and the two mixes. Paths are absolute. Built by
/// <see cref="SettingsLoader"/>, which validates everything, so a value here is usable as is.
/// </summary>
public sealed record DataSettings
{
    /// <summary>The settings file these came from, or null for the built-in defaults.</summary>
    public string? SettingsPath { get; init; }

    /// <summary><c>data.caches.pretrain_token_cache</c> (default <c>data/cache/pretrain</c>).</summary>
    public required string PretrainRoot { get; init; }

    /// <summary><c>data.caches.sft_token_cache</c> (default <c>data/cache/sft</c>).</summary>
    public required string SftRoot { get; init; }

    /// <summary><c>data.tokenizer</c>: which tokenizer encodes every source.</summary>
    public required TokenizerSettings Tokenizer { get; init; }

    /// <summary><c>data.renderer</c>: the chat renderer of SFT rows (default <c>niels</c>).</summary>
    public string Renderer { get; init; } = "niels";

    /// <summary><c>data.train_on_what</c>: which SFT tokens are labelled (default <c>all_assistant_messages</c>).</summary>
    public TrainOnWhat TrainOnWhat { get; init; } = TrainOnWhat.AllAssistantMessages;

    /// <summary><c>data.seed</c>: seeds the shuffle buffers and the SFT validation permutation (default 42).</summary>
    public long Seed { get; init; } = 42;

    /// <summary><c>data.shard_bytes</c>: shard size in bytes (default 128 MiB).</summary>
    public long ShardBytes { get; init; } = 128L << 20;

    /// <summary><c>data.sft_max_tokens</c>: SFT examples are cut to their first this many tokens (default 1024).</summary>
    public int SftMaxTokens { get; init; } = 1024;

    /// <summary><c>data.sft_val_frac</c>: the SFT validation fraction when a source sets none (default 0.1).</summary>
    public double SftValFrac { get; init; } = 0.1;

    /// <summary><c>data.sources</c>: every declared source by name (the primer is always present).</summary>
    public required IReadOnlyDictionary<string, SourceSettings> Sources { get; init; }

    /// <summary><c>data.mix_pretrain</c> (default <c>{fineweb_edu: 0.70, wikitext: 0.20, roam: 0.10}</c>).</summary>
    public required Mix MixPretrain { get; init; }

    /// <summary><c>data.mix_sft</c> (default <c>{primer: 0.10, oasst1: 0.70, dolly15k: 0.20}</c>).</summary>
    public required Mix MixSft { get; init; }
}

/// <summary><c>data.tokenizer</c>: the tokenizer file and the niels special tokens it must hold.</summary>
/// <param name="Path">A <c>tokenizer.json</c>, a folder holding one, or anything <c>Tokenizer.FromPath</c> reads.</param>
/// <param name="SpecialTokens">The strings of the four special tokens (<c>special_tokens.{sys,usr,asst,eot}</c>).</param>
/// <param name="ExpectedSpecialTokenIds">The ids they must have (<c>expected_special_token_ids</c>), or null to accept any.</param>
public sealed record TokenizerSettings(string Path, NielsTokens SpecialTokens, SpecialTokenIds? ExpectedSpecialTokenIds);

/// <summary>The ids of the four special tokens, as meta.json's <c>special_token_ids</c> records them.</summary>
/// <param name="Sys">System.</param>
/// <param name="Usr">User.</param>
/// <param name="Asst">Assistant.</param>
/// <param name="Eot">End of turn.</param>
public sealed record SpecialTokenIds(int Sys, int Usr, int Asst, int Eot)
{
    /// <summary>The meta.json object <c>{sys, usr, asst, eot}</c>.</summary>
    public IReadOnlyDictionary<string, object?> ToMeta() =>
        new Dictionary<string, object?> { ["sys"] = Sys, ["usr"] = Usr, ["asst"] = Asst, ["eot"] = Eot };
}

/// <summary>The special token strings of niels-gpt (REFERENCE.md R1), the default of <c>data.tokenizer.special_tokens</c>.</summary>
public static class NielsGptTokens
{
    /// <summary>The sentinel in every niels-gpt special token.</summary>
    public const string Sentinel = NielsTokens.Sentinel;

    /// <summary><c>&lt;|ngpt_sys_…|&gt;</c>, <c>usr</c>, <c>asst</c>, <c>eot</c> (the niels renderer's defaults).</summary>
    public static NielsTokens Tokens { get; } = new();
}
