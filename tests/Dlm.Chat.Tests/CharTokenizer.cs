using System.Text;
using System.Text.Json;
using Dlm.Tokenizers;

namespace Dlm.Chat.Tests;

/// <summary>
/// A test tokenizer that keeps the text: added tokens (matched literally, longest first, as HF
/// does) get their real ids, every other UTF-16 unit becomes its own id above the vocabulary.
/// Decoding the ids gives back exactly the encoded text, so decode(render) can be compared with
/// the Hugging Face template text before the real tokenizer.json pipeline is available.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const int CharBase = 1_000_000;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<int, string> _addedById;
    private readonly string[] _byLength;

    public CharTokenizer(IReadOnlyDictionary<string, int> added, string? bos = null, string? eos = null, string? chatTemplate = null)
    {
        _added = new Dictionary<string, int>(added, StringComparer.Ordinal);
        _addedById = _added.ToDictionary(kv => kv.Value, kv => kv.Key);
        _byLength = _added.Keys.OrderByDescending(k => k.Length).ToArray();
        BosToken = bos;
        EosToken = eos;
        ChatTemplate = chatTemplate;
    }

    /// <summary>Special tokens of every layout, with made-up ids below <see cref="CharBase"/>.</summary>
    public static CharTokenizer WithAllLayoutTokens(string? bos = "<s>")
    {
        string[] specials =
        [
            "<s>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
            "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
            "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>",
            "<\uFF5CUser\uFF5C>", "<\uFF5CAssistant\uFF5C>",
            Dlm.Chat.Renderers.NielsTokens.DefaultSystem, Dlm.Chat.Renderers.NielsTokens.DefaultUser,
            Dlm.Chat.Renderers.NielsTokens.DefaultAssistant, Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn,
        ];
        var added = new Dictionary<string, int>();
        for (int i = 0; i < specials.Length; i++) added[specials[i]] = i + 1;
        return new CharTokenizer(added, bos);
    }

    /// <summary>The added tokens, BOS, EOS and chat template of a real model folder (tokenizer.json + tokenizer_config.json).</summary>
    public static CharTokenizer FromModelFolder(string folder)
    {
        var added = new Dictionary<string, int>();
        using (var tok = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "tokenizer.json"))))
            foreach (var t in tok.RootElement.GetProperty("added_tokens").EnumerateArray())
                added[t.GetProperty("content").GetString()!] = t.GetProperty("id").GetInt32();
        using var cfg = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "tokenizer_config.json")));
        var root = cfg.RootElement;
        string? Str(string key) => root.TryGetProperty(key, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Object => v.GetProperty("content").GetString(),
                _ => null,
            }
            : null;
        return new CharTokenizer(added, Str("bos_token"), Str("eos_token"), Str("chat_template"));
    }

    public int VocabSize => CharBase + char.MaxValue + 1;
    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? ChatTemplate { get; }

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>();
        if (addSpecialTokens && BosToken is not null) ids.Add(_added[BosToken]);
        for (int i = 0; i < text.Length;)
        {
            string? hit = null;
            foreach (var t in _byLength)
                if (string.CompareOrdinal(text, i, t, 0, t.Length) == 0) { hit = t; break; }
            if (hit is not null) { ids.Add(_added[hit]); i += hit.Length; }
            else ids.Add(CharBase + text[i++]);
        }
        return ids.ToArray();
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id >= CharBase) sb.Append((char)(id - CharBase));
            else if (!skipSpecialTokens) sb.Append(_addedById[id]);
        }
        return sb.ToString();
    }

    public int? TokenToId(string token) =>
        _added.TryGetValue(token, out var id) ? id : token.Length == 1 ? CharBase + token[0] : null;

    public string? IdToToken(int id) =>
        id >= CharBase ? ((char)(id - CharBase)).ToString() : _addedById.GetValueOrDefault(id);
}
