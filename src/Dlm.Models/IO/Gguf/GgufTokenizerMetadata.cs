using System.Text.Json;
using Dlm.Core;

namespace Dlm.Models.IO.Gguf;

/// <summary>llama.cpp's token types (<c>enum llama_token_type</c>, stored as <c>tokenizer.ggml.token_type</c>).</summary>
public enum GgufTokenType
{
    /// <summary>An ordinary vocabulary entry.</summary>
    Normal = 1,
    /// <summary>The unknown token.</summary>
    Unknown = 2,
    /// <summary>A special (control) token such as <c>&lt;|im_start|&gt;</c>.</summary>
    Control = 3,
    /// <summary>An added token that is not special; matched as raw text.</summary>
    UserDefined = 4,
    /// <summary>A padding slot with no token behind it.</summary>
    Unused = 5,
    /// <summary>A byte fallback token (SentencePiece).</summary>
    Byte = 6,
}

/// <summary>
/// The <c>tokenizer.ggml.*</c> and <c>tokenizer.chat_template</c> metadata of a Hugging Face
/// byte-level BPE tokenizer (<c>tokenizer.json</c> + <c>tokenizer_config.json</c>), built the
/// way llama.cpp's <c>convert_hf_to_gguf.py</c> (<c>get_vocab_base</c>, <c>SpecialVocab</c>)
/// builds it: one token per id up to the model's vocabulary size (<c>[PADn]</c> for ids the
/// tokenizer lacks), added tokens CONTROL when special or special-looking, USER_DEFINED
/// otherwise, merges as "a b" strings, special ids from tokenizer_config.json then config.json.
/// </summary>
public sealed class GgufTokenizerMetadata
{
    /// <summary>The <c>tokenizer.ggml.model</c> value: "gpt2" (byte-level BPE).</summary>
    public string Model { get; } = "gpt2";

    /// <summary>The <c>tokenizer.ggml.pre</c> name llama.cpp uses to choose its pre-tokenizer regex.</summary>
    public string Pre { get; }

    /// <summary>Token strings, one per id.</summary>
    public string[] Tokens { get; }

    /// <summary>Token types, one per id.</summary>
    public int[] TokenTypes { get; }

    /// <summary>Merges as "left right".</summary>
    public string[] Merges { get; }

    /// <summary>Special token ids (bos, eos, unk, pad, ...), by llama.cpp's key suffix.</summary>
    public IReadOnlyDictionary<string, int> SpecialIds { get; }

    /// <summary>Whether encoding adds a BOS token at the front (<c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos { get; }

    /// <summary>Whether encoding adds an EOS token at the end (<c>tokenizer.ggml.add_eos_token</c>).</summary>
    public bool AddEos { get; }

    /// <summary>The Jinja chat template, when tokenizer_config.json has one.</summary>
    public string? ChatTemplate { get; }

    private GgufTokenizerMetadata(string pre, string[] tokens, int[] types, string[] merges, Dictionary<string, int> special, bool addBos, bool addEos, string? template)
    {
        Pre = pre;
        Tokens = tokens;
        TokenTypes = types;
        Merges = merges;
        SpecialIds = special;
        AddBos = addBos;
        AddEos = addEos;
        ChatTemplate = template;
    }

    /// <summary>The metadata pairs in the order the converter writes them.</summary>
    public IEnumerable<KeyValuePair<string, GgufValue>> ToMetadata()
    {
        yield return new("tokenizer.ggml.model", GgufValue.Str(Model));
        yield return new("tokenizer.ggml.pre", GgufValue.Str(Pre));
        yield return new("tokenizer.ggml.tokens", GgufValue.Strings(Tokens));
        yield return new("tokenizer.ggml.token_type", GgufValue.Ints(TokenTypes));
        yield return new("tokenizer.ggml.merges", GgufValue.Strings(Merges));
        foreach (var key in new[] { "bos", "eos", "unknown", "seperator", "padding", "cls", "mask" })
            if (SpecialIds.TryGetValue(key, out var id)) yield return new($"tokenizer.ggml.{key}_token_id", GgufValue.U32((uint)id));
        yield return new("tokenizer.ggml.add_bos_token", GgufValue.Bool(AddBos));
        yield return new("tokenizer.ggml.add_eos_token", GgufValue.Bool(AddEos));
        if (ChatTemplate is not null) yield return new("tokenizer.chat_template", GgufValue.Str(ChatTemplate));
    }

    /// <summary>
    /// Reads the tokenizer of a model folder (tokenizer.json, tokenizer_config.json, config.json) for
    /// a model of <paramref name="vocabSize"/> ids. Refuses, naming it, any tokenizer llama.cpp's
    /// byte-level BPE would not reproduce.
    /// </summary>
    public static GgufTokenizerMetadata FromFolder(string folder, int vocabSize)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new DlmException($"{folder}: no tokenizer.json; a GGUF file needs the model's tokenizer embedded");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new DlmException($"{path}: malformed JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            var model = Obj(root, "model", path) ?? throw new DlmException($"{path}: no model");
            var type = Str(model, "type") ?? "BPE";
            if (type != "BPE") throw new DlmException($"{path}: tokenizer model {type} is not supported for GGUF export (dlm exports byte-level BPE)");
            if (Obj(root, "decoder", path) is not { } dec || Str(dec, "type") != "ByteLevel")
                throw new DlmException($"{path}: the decoder is not ByteLevel; only byte-level BPE tokenizers can be exported to GGUF");
            var pre = PreName(root, path);

            var vocab = Obj(model, "vocab", path) ?? throw new DlmException($"{path}: model has no vocab");
            var byId = new Dictionary<int, string>();
            foreach (var p in vocab.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Number) byId[p.Value.GetInt32()] = p.Name;
            var added = new Dictionary<int, (string Content, bool Special)>();
            if (root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array)
                foreach (var t in at.EnumerateArray())
                {
                    int id = t.GetProperty("id").GetInt32();
                    var content = t.GetProperty("content").GetString() ?? "";
                    added[id] = (content, t.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True);
                    byId[id] = content;
                }
            int maxId = byId.Count == 0 ? -1 : byId.Keys.Max();
            if (maxId >= vocabSize)
                throw new DlmException($"{path}: token id {maxId} does not fit the model's vocab_size {vocabSize}");

            var tokens = new string[vocabSize];
            var types = new int[vocabSize];
            for (int i = 0; i < vocabSize; i++)
            {
                if (!byId.TryGetValue(i, out var tok))
                {
                    tokens[i] = $"[PAD{i}]";
                    types[i] = (int)GgufTokenType.Unused;
                }
                else if (added.TryGetValue(i, out var a))
                {
                    tokens[i] = a.Content;
                    types[i] = (int)(a.Special || LooksSpecial(a.Content) ? GgufTokenType.Control : GgufTokenType.UserDefined);
                }
                else
                {
                    tokens[i] = tok;
                    types[i] = (int)GgufTokenType.Normal;
                }
            }

            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var ms) && ms.ValueKind == JsonValueKind.Array)
                foreach (var m in ms.EnumerateArray())
                    merges.Add(m.ValueKind == JsonValueKind.Array
                        ? string.Join(' ', m.EnumerateArray().Select(x => x.GetString()))
                        : m.GetString() ?? "");

            // SpecialVocab: post_processor template first, then tokenizer_config.json, then config.json.
            var special = new Dictionary<string, int>(StringComparer.Ordinal);
            var contentToId = added.ToDictionary(kv => kv.Value.Content, kv => kv.Key, StringComparer.Ordinal);
            bool? addBos = null, addEos = null;
            if (Obj(root, "post_processor", path) is { } pp) TemplateSpecials(pp, contentToId, special, ref addBos, ref addEos);

            string? template = null;
            var configPath = Path.Combine(folder, "tokenizer_config.json");
            if (File.Exists(configPath))
            {
                try
                {
                    using var tc = JsonDocument.Parse(File.ReadAllBytes(configPath));
                    var c = tc.RootElement;
                    foreach (var (typ, key) in new[] { ("bos", "bos"), ("eos", "eos"), ("unk", "unknown"), ("sep", "seperator"), ("pad", "padding"), ("cls", "cls"), ("mask", "mask") })
                    {
                        if (!c.TryGetProperty(typ + "_token", out var e)) continue;
                        var content = e.ValueKind == JsonValueKind.String ? e.GetString()
                            : e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var ce) ? ce.GetString() : null;
                        if (content is not null && contentToId.TryGetValue(content, out var id)) special[key] = id;
                    }
                    if (c.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False) addBos = ab.GetBoolean();
                    if (c.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False) addEos = ae.GetBoolean();
                    if (c.TryGetProperty("chat_template", out var ct))
                    {
                        if (ct.ValueKind == JsonValueKind.String) template = ct.GetString();
                        else if (ct.ValueKind == JsonValueKind.Array)
                            template = ct.EnumerateArray().Where(x => x.TryGetProperty("name", out var n) && n.GetString() == "default")
                                .Select(x => x.GetProperty("template").GetString()).FirstOrDefault();
                    }
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
                {
                    throw new DlmException($"{configPath}: malformed tokenizer config: {e.Message}");
                }
            }
            var modelConfig = Path.Combine(folder, "config.json");
            if (File.Exists(modelConfig))
            {
                try
                {
                    using var mc = JsonDocument.Parse(File.ReadAllBytes(modelConfig));
                    foreach (var (typ, key) in new[] { ("bos", "bos"), ("eos", "eos"), ("pad", "padding") })
                        if (!special.ContainsKey(key) && mc.RootElement.TryGetProperty(typ + "_token_id", out var e) && e.ValueKind == JsonValueKind.Number
                            && e.TryGetInt32(out var id) && id >= 0 && id < vocabSize)
                            special[key] = id;
                }
                catch (JsonException e)
                {
                    throw new DlmException($"{modelConfig}: malformed JSON: {e.Message}");
                }
            }
            return new GgufTokenizerMetadata(pre, tokens, types, [.. merges], special, addBos ?? false, addEos ?? false, template);
        }
    }

    /// <summary>Special-looking added tokens the converter marks CONTROL even when not flagged special.</summary>
    internal static bool LooksSpecial(string t) =>
        t is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (t.StartsWith("<|", StringComparison.Ordinal) && t.EndsWith("|>", StringComparison.Ordinal))
        || (t.StartsWith("<\uff5c", StringComparison.Ordinal) && t.EndsWith("\uff5c>", StringComparison.Ordinal))
        || (t.StartsWith("<unused", StringComparison.Ordinal) && t.EndsWith('>'));

    // The pre-tokenizer regexes llama.cpp knows, by the name it knows them under. The converter
    // identifies a tokenizer by hashing its output on a test text; dlm identifies the same
    // tokenizers by their pre_tokenizer, which is what that hash distinguishes.
    internal const string Llama3Regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    internal const string Qwen2Regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    internal const string Gpt2Regex = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static string PreName(JsonElement root, string path)
    {
        if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object)
        {
            var nt = Str(norm, "type");
            // NFC is what Qwen2 ships; llama.cpp does not normalize, which only differs on text that is not already NFC.
            if (nt != "NFC") throw new DlmException($"{path}: normalizer {nt} is not supported for GGUF export (llama.cpp's byte-level BPE has none)");
        }
        var pre = Obj(root, "pre_tokenizer", path) ?? throw new DlmException($"{path}: no pre_tokenizer; llama.cpp needs a known byte-level pre-tokenizer");
        var parts = Str(pre, "type") == "Sequence" && pre.TryGetProperty("pretokenizers", out var seq)
            ? seq.EnumerateArray().ToList()
            : [pre];
        string Describe() => string.Join(" + ", parts.Select(p => Str(p, "type") + (Str(p, "type") == "Split" ? $"({SplitRegex(p)})" : "")));
        if (parts.Count == 1 && IsByteLevel(parts[0]) && UsesRegex(parts[0])) return "gpt-2";
        if (parts.Count == 2 && IsByteLevel(parts[1]) && !UsesRegex(parts[1]) && Str(parts[0], "type") == "Split")
        {
            var regex = SplitRegex(parts[0]);
            if (regex == Llama3Regex) return "llama-bpe";
            if (regex == Qwen2Regex) return "qwen2";
            if (regex == Gpt2Regex) return "gpt-2";
        }
        if (parts.Count == 2 && Str(parts[0], "type") == "Digits" && parts[0].TryGetProperty("individual_digits", out var ind) && ind.ValueKind == JsonValueKind.True
            && IsByteLevel(parts[1]) && UsesRegex(parts[1]))
            return "smollm";
        throw new DlmException($"{path}: pre-tokenizer {Describe()} matches none of llama.cpp's (llama-bpe, qwen2, smollm, gpt-2)");
    }

    private static string? SplitRegex(JsonElement split) =>
        split.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("Regex", out var r) ? r.GetString() : null;

    private static bool IsByteLevel(JsonElement e) => Str(e, "type") == "ByteLevel"
        && !(e.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True);

    private static bool UsesRegex(JsonElement e) => !(e.TryGetProperty("use_regex", out var u) && u.ValueKind == JsonValueKind.False);

    private static void TemplateSpecials(JsonElement pp, Dictionary<string, int> contentToId, Dictionary<string, int> special, ref bool? addBos, ref bool? addEos)
    {
        if (Str(pp, "type") == "Sequence" && pp.TryGetProperty("processors", out var procs))
        {
            foreach (var p in procs.EnumerateArray()) TemplateSpecials(p, contentToId, special, ref addBos, ref addEos);
            return;
        }
        if (Str(pp, "type") != "TemplateProcessing" || !pp.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array) return;
        var items = single.EnumerateArray().ToList();
        static string? SpecialId(JsonElement item) =>
            item.TryGetProperty("SpecialToken", out var st) && st.TryGetProperty("id", out var id) ? id.GetString() : null;
        if (items.Count > 0 && SpecialId(items[0]) is { } first && contentToId.TryGetValue(first, out var b))
        {
            addBos = true;
            special["bos"] = b;
        }
        else addBos = false;
        if (items.Count > 1 && SpecialId(items[^1]) is { } last && contentToId.TryGetValue(last, out var e))
        {
            addEos = true;
            special["eos"] = e;
        }
        else addEos = false;
    }

    private static JsonElement? Obj(JsonElement e, string name, string path)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw new DlmException($"{path}: {name} must be an object");
        return v;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
