using System.Text;
using Decoder = Dlm.Tokenizers.Decoders.Decoder;
using System.Text.Json;
using Dlm.Core;
using Dlm.Tokenizers.AddedTokens;
using Dlm.Tokenizers.Decoders;
using Dlm.Tokenizers.Models;
using Dlm.Tokenizers.Normalizers;
using Dlm.Tokenizers.Pipeline;
using Dlm.Tokenizers.PostProcessors;
using Dlm.Tokenizers.PreTokenizers;
using Dlm.Tokenizers.SentencePiece;

namespace Dlm.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> pipeline: added tokens are cut out of the text, the rest
/// goes normalizer → pre-tokenizer → model (BPE or Unigram), and with add_special_tokens the
/// post-processor adds its tokens; decoding runs the decoder chain. Encodes id-for-id like the
/// Rust <c>tokenizers</c> library. Or a SentencePiece <c>.model</c> (<see cref="FromSentencePiece"/>),
/// which encodes id-for-id like the <c>sentencepiece</c> library. Thread-safe: per-thread scratch
/// buffers and caches.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ThreadLocal holds only managed scratch buffers, which the GC reclaims.")]
public sealed class Tokenizer : ITokenizer
{
    private readonly Normalizer? normalizer;
    private readonly PreTokenizer? preTokenizer;
    private readonly PreTokenizer[] preSteps;
    private readonly Model? model; // null for a SentencePiece model, which encodes through its own processor
    private readonly PostProcessor? postProcessor;
    private readonly Decoder? decoder;
    private readonly AddedToken[] addedTokens;
    private readonly Dictionary<int, AddedToken> addedById = [];
    private readonly Dictionary<string, AddedToken> addedByContent = new(StringComparer.Ordinal);
    private readonly AddedTokenMatcher rawMatcher;
    private readonly AddedTokenMatcher normalizedMatcher;
    private readonly TokenizerConfig? config;
    private readonly string? truncationJson, paddingJson;
    private readonly ThreadLocal<EncodeState> state = new(() => new EncodeState());
    private readonly SentencePieceProcessor? sentencePiece;

    private sealed class EncodeState
    {
        public readonly IdBuffer Ids = new();
        public readonly CharBuffer Normalized = new();
        public readonly PieceBuffer A = new(), B = new();
        public readonly List<Segment> Segments = [], InnerSegments = [];
    }

    private Tokenizer(JsonElement root, TokenizerConfig? config)
    {
        this.config = config;
        if (root.ValueKind != JsonValueKind.Object) throw new DlmException("tokenizer.json: expected a JSON object");
        normalizer = JsonRead.Has(root, "normalizer") ? Normalizer.FromJson(root.GetProperty("normalizer")) : null;
        preTokenizer = JsonRead.Has(root, "pre_tokenizer") ? PreTokenizer.FromJson(root.GetProperty("pre_tokenizer")) : null;
        preSteps = preTokenizer switch
        {
            null => [],
            SequencePreTokenizer s => s.Steps,
            var p => [p],
        };
        if (!JsonRead.Has(root, "model")) throw new DlmException("tokenizer.json: no \"model\"");
        model = Model.FromJson(root.GetProperty("model"));
        postProcessor = JsonRead.Has(root, "post_processor") ? PostProcessor.FromJson(root.GetProperty("post_processor")) : null;
        decoder = JsonRead.Has(root, "decoder") ? Decoder.FromJson(root.GetProperty("decoder")) : null;
        truncationJson = JsonRead.Has(root, "truncation") ? root.GetProperty("truncation").GetRawText() : null;
        paddingJson = JsonRead.Has(root, "padding") ? root.GetProperty("padding").GetRawText() : null;

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array)
            foreach (var t in at.EnumerateArray()) added.Add(AddedToken.FromJson(t));
        addedTokens = [.. added];
        foreach (var t in addedTokens)
        {
            addedById[t.Id] = t;
            addedByContent[t.Content] = t;
        }
        rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        var normBuf = new CharBuffer();
        normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized).Select(t =>
        {
            if (normalizer is null) return (t.Content, t);
            normalizer.Normalize(t.Content, normBuf);
            return (normBuf.Span.ToString(), t);
        }));
        int size = model!.VocabSize;
        foreach (var t in addedTokens) size = Math.Max(size, t.Id + 1);
        VocabSize = size;
    }

    private static readonly string[] FolderFiles = ["tokenizer.json", "spm.model", "tokenizer.model"];

    private Tokenizer(SentencePieceProcessor sp, TokenizerConfig? config)
    {
        sentencePiece = sp;
        this.config = config;
        preSteps = [];
        addedTokens = [];
        rawMatcher = new AddedTokenMatcher([]);
        normalizedMatcher = rawMatcher;
        VocabSize = sp.VocabSize;
    }

    /// <summary>
    /// Loads a tokenizer from a <c>tokenizer.json</c> file, from a SentencePiece model file
    /// (<c>spm.model</c>, <c>tokenizer.model</c>: a protobuf <c>ModelProto</c>), or from a folder holding
    /// <c>tokenizer.json</c> or, failing that, <c>spm.model</c> or <c>tokenizer.model</c>. A
    /// <c>tokenizer_config.json</c> beside the file supplies the special tokens and chat template.
    /// </summary>
    /// <exception cref="DlmException">The file is missing or invalid, or names a component dlm does not have.</exception>
    public static Tokenizer FromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = path;
        if (Directory.Exists(path))
        {
            file = FolderFiles.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
                ?? throw new DlmException($"{path}: no tokenizer.json, spm.model or tokenizer.model in this folder");
        }
        else if (!File.Exists(file)) throw new DlmException($"{path}: no such file");
        var configFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        string? configJson = File.Exists(configFile) ? File.ReadAllText(configFile) : null;
        if (IsSentencePieceFile(file))
        {
            try
            {
                var config = configJson is null ? null : TokenizerConfig.Parse(configJson, "tokenizer_config.json");
                return new Tokenizer(new SentencePieceProcessor(File.ReadAllBytes(file)), config);
            }
            catch (DlmException e)
            {
                throw new DlmException($"{file}: {e.Message}", e);
            }
        }
        try
        {
            return FromJson(File.ReadAllText(file), configJson);
        }
        catch (DlmException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal))
        {
            throw new DlmException($"{file}: {e.Message}", e);
        }
    }

    /// <summary>A <c>.model</c> file, or any file that is not JSON (a protobuf never starts with '{').</summary>
    private static bool IsSentencePieceFile(string file)
    {
        if (file.EndsWith(".model", StringComparison.OrdinalIgnoreCase)) return true;
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        using var f = File.OpenRead(file);
        int b;
        while ((b = f.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b is not '{' and not -1;
    }

    /// <summary>
    /// Builds a tokenizer from the bytes of a SentencePiece unigram model (<c>spm.model</c>). It
    /// encodes and decodes as the <c>sentencepiece</c> library does; its special tokens are the
    /// control, unknown and user-defined pieces; with add_special_tokens it adds BOS and EOS where
    /// the model has them (sentencepiece's <c>add_bos</c>, <c>add_eos</c>), or as a
    /// <c>tokenizer_config.json</c> beside the model file says (<c>add_bos_token</c>, <c>add_eos_token</c>).
    /// </summary>
    /// <exception cref="DlmException">The bytes are not a SentencePiece model, or use a feature dlm does not have.</exception>
    public static Tokenizer FromSentencePiece(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Tokenizer(new SentencePieceProcessor(model), null);
    }

    /// <summary>Whether this tokenizer was loaded from a SentencePiece model rather than a <c>tokenizer.json</c>.</summary>
    public bool IsSentencePiece => sentencePiece is not null;

    /// <summary>Builds a tokenizer from the text of a <c>tokenizer.json</c> and optionally of a <c>tokenizer_config.json</c>.</summary>
    /// <exception cref="DlmException">The JSON is invalid or names a component dlm does not have.</exception>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null)
    {
        var config = tokenizerConfigJson is null ? null : TokenizerConfig.Parse(tokenizerConfigJson, "tokenizer_config.json");
        try
        {
            using var doc = JsonDocument.Parse(tokenizerJson, new JsonDocumentOptions { MaxDepth = 256 });
            return new Tokenizer(doc.RootElement, config);
        }
        catch (JsonException e)
        {
            throw new DlmException($"tokenizer.json: invalid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new DlmException($"tokenizer.json: unexpected value: {e.Message}");
        }
    }

    /// <summary>
    /// Writes <c>tokenizer.json</c> (atomically). <paramref name="path"/> is the file, or an existing
    /// folder, which then also receives the <c>tokenizer_config.json</c> this tokenizer was loaded with.
    /// A SentencePiece tokenizer writes its model bytes instead (<c>spm.model</c> in a folder).
    /// </summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (sentencePiece is not null)
        {
            bool folder = Directory.Exists(path);
            AtomicFile.WriteAllBytes(folder ? Path.Combine(path, "spm.model") : path, sentencePiece.FileBytes);
            if (folder && config is not null) AtomicFile.WriteAllText(Path.Combine(path, "tokenizer_config.json"), config.Json);
            return;
        }
        if (Directory.Exists(path))
        {
            AtomicFile.WriteAllText(Path.Combine(path, "tokenizer.json"), ToJson());
            if (config is not null) AtomicFile.WriteAllText(Path.Combine(path, "tokenizer_config.json"), config.Json);
        }
        else AtomicFile.WriteAllText(path, ToJson());
    }

    /// <summary>The <c>tokenizer.json</c> text of this tokenizer (indented, vocabulary in id order).</summary>
    /// <exception cref="DlmException">The tokenizer is a SentencePiece model, which has no exact tokenizer.json form.</exception>
    public string ToJson()
    {
        if (sentencePiece is not null)
            throw new DlmException("a SentencePiece model has no exact tokenizer.json form (its whitespace rules are not a tokenizer.json normalizer); save it as spm.model");
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            WriteRaw(w, "truncation", truncationJson);
            WriteRaw(w, "padding", paddingJson);
            w.WriteStartArray("added_tokens");
            foreach (var t in addedTokens) t.WriteJson(w);
            w.WriteEndArray();
            w.WritePropertyName("normalizer");
            if (normalizer is null) w.WriteNullValue(); else normalizer.WriteJson(w);
            w.WritePropertyName("pre_tokenizer");
            if (preTokenizer is null) w.WriteNullValue(); else preTokenizer.WriteJson(w);
            w.WritePropertyName("post_processor");
            if (postProcessor is null) w.WriteNullValue(); else postProcessor.WriteJson(w);
            w.WritePropertyName("decoder");
            if (decoder is null) w.WriteNullValue(); else decoder.WriteJson(w);
            w.WritePropertyName("model");
            model!.WriteJson(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteRaw(Utf8JsonWriter w, string name, string? raw)
    {
        w.WritePropertyName(name);
        if (raw is null) w.WriteNullValue(); else w.WriteRawValue(raw);
    }

    /// <inheritdoc />
    public int VocabSize { get; }

    /// <inheritdoc />
    public string? BosToken => config?.BosToken ?? (sentencePiece is { BosId: { } b } sp ? sp.IdToToken(b) : null);

    /// <inheritdoc />
    public string? EosToken => config?.EosToken ?? (sentencePiece is { EosId: { } e } sp ? sp.IdToToken(e) : null);

    /// <summary>The padding token from <c>tokenizer_config.json</c> (else a SentencePiece model's pad piece), if any.</summary>
    public string? PadToken => config?.PadToken ?? (sentencePiece is { PadId: { } p } sp ? sp.IdToToken(p) : null);

    /// <inheritdoc />
    public string? ChatTemplate => config?.ChatTemplate;

    /// <summary>
    /// The contents of the special added tokens, in id order of the file; for a SentencePiece model,
    /// its control, unknown and user-defined pieces in id order.
    /// </summary>
    public IReadOnlyList<string> SpecialTokens => sentencePiece is { } sp ? [.. sp.SpecialTokens]
        : [.. addedTokens.Where(t => t.Special).Select(t => t.Content)];

    /// <summary>Whether <paramref name="id"/> is a special added token (a SentencePiece control, unknown or user-defined piece).</summary>
    public bool IsSpecial(int id) => sentencePiece?.IsSpecial(id) ?? (addedById.TryGetValue(id, out var t) && t.Special);

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (sentencePiece is not null) return sentencePiece.TokenToId(token);
        return addedByContent.TryGetValue(token, out var t) ? t.Id : model!.TokenToId(token);
    }

    /// <inheritdoc />
    public string? IdToToken(int id) => sentencePiece is not null ? sentencePiece.IdToToken(id)
        : addedById.TryGetValue(id, out var t) ? t.Content : model!.IdToToken(id);

    /// <inheritdoc />
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeToState(text, addSpecialTokens).Span.ToArray();
    }

    /// <summary>
    /// Encodes into the caller's buffer without allocating (after warm-up). Returns false, with
    /// <paramref name="written"/> set to the number of ids needed, when <paramref name="destination"/> is too small.
    /// </summary>
    public bool TryEncode(ReadOnlySpan<char> text, Span<int> destination, out int written, bool addSpecialTokens = false)
    {
        var ids = EncodeToState(text, addSpecialTokens);
        written = ids.Count;
        if (ids.Count > destination.Length) return false;
        ids.Span.CopyTo(destination);
        return true;
    }

    /// <summary>The number of ids <paramref name="text"/> encodes to, without allocating.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool addSpecialTokens = false) => EncodeToState(text, addSpecialTokens).Count;

    private IdBuffer EncodeToState(ReadOnlySpan<char> text, bool addSpecialTokens)
    {
        var st = state.Value!;
        var ids = st.Ids;
        ids.Clear();
        if (sentencePiece is not null)
        {
            sentencePiece.Encode(text, ids, addSpecialTokens && (config?.AddBosToken ?? true), addSpecialTokens && (config?.AddEosToken ?? true));
            return ids;
        }
        var segs = st.Segments;
        segs.Clear();
        if (rawMatcher.IsEmpty) segs.Add(new Segment(0, text.Length, -1));
        else rawMatcher.Split(text, 0, segs);
        foreach (var seg in segs)
        {
            if (seg.Id >= 0) { ids.Add(seg.Id); continue; }
            var part = text[seg.Start..seg.End];
            if (part.IsEmpty) continue;
            if (normalizer is not null)
            {
                normalizer.Normalize(part, st.Normalized);
                part = st.Normalized.Span;
            }
            if (normalizedMatcher.IsEmpty)
            {
                RunPipeline(part, seg.Start == 0, st);
                continue;
            }
            var inner = st.InnerSegments;
            inner.Clear();
            normalizedMatcher.Split(part, 0, inner);
            foreach (var s in inner)
            {
                if (s.Id >= 0) ids.Add(s.Id);
                else RunPipeline(part[s.Start..s.End], seg.Start == 0 && s.Start == 0, st);
            }
        }
        if (addSpecialTokens) postProcessor?.Process(ids);
        return ids;
    }

    /// <summary>
    /// The pieces the model would see for <paramref name="text"/>: added tokens cut out (returned as
    /// their content), the rest normalized and pre-tokenized (byte-level pieces in the byte alphabet).
    /// For trainers and debugging; encoding does not go through it.
    /// </summary>
    public IReadOnlyList<string> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        if (sentencePiece is not null)
        {
            var normalized = sentencePiece.Normalize(text);
            if (normalized.Length > 0) result.Add(normalized);
            return result;
        }
        var segs = new List<Segment>();
        if (rawMatcher.IsEmpty) segs.Add(new Segment(0, text.Length, -1));
        else rawMatcher.Split(text, 0, segs);
        var norm = new CharBuffer();
        foreach (var seg in segs)
        {
            if (seg.Id >= 0) { result.Add(addedById[seg.Id].Content); continue; }
            var part = text.AsSpan(seg.Start, seg.End - seg.Start);
            if (normalizer is not null) { normalizer.Normalize(part, norm); part = norm.Span; }
            var inner = new List<Segment>();
            if (normalizedMatcher.IsEmpty) inner.Add(new Segment(0, part.Length, -1));
            else normalizedMatcher.Split(part, 0, inner);
            foreach (var s in inner)
            {
                if (s.Id >= 0) { result.Add(addedById[s.Id].Content); continue; }
                var src = new PieceBuffer();
                src.Add(part[s.Start..s.End], seg.Start == 0 && s.Start == 0);
                foreach (var step in preSteps)
                {
                    var dst = new PieceBuffer();
                    step.PreTokenize(src, dst);
                    src = dst;
                }
                for (int i = 0; i < src.Count; i++) result.Add(src.Text(i).ToString());
            }
        }
        return result;
    }

    private void RunPipeline(ReadOnlySpan<char> text, bool atStart, EncodeState st)
    {
        if (text.IsEmpty) return;
        if (preSteps.Length == 0)
        {
            model!.Tokenize(text, st.Ids);
            return;
        }
        var src = st.A;
        src.Clear();
        src.Add(text, atStart);
        foreach (var step in preSteps)
        {
            var dst = src == st.A ? st.B : st.A;
            dst.Clear();
            step.PreTokenize(src, dst);
            src = dst;
        }
        for (int i = 0; i < src.Count; i++) model!.Tokenize(src.Text(i), st.Ids);
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        if (sentencePiece is not null) return sentencePiece.Decode(ids, skipSpecialTokens);
        if (decoder is ByteLevelDecoder) return DecodeByteLevel(ids, skipSpecialTokens);
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (addedById.TryGetValue(id, out var t))
            {
                if (!(skipSpecialTokens && t.Special)) tokens.Add(t.Content);
                continue;
            }
            var tok = model!.IdToToken(id);
            if (tok is null) continue;
            if (skipSpecialTokens && addedByContent.TryGetValue(tok, out var at) && at.Special) continue;
            tokens.Add(tok);
        }
        if (decoder is null) return string.Join(' ', tokens);
        return string.Concat(decoder.DecodeChain(tokens));
    }

    [ThreadStatic] private static byte[]? decodeBytesTls;

    /// <summary>
    /// The ByteLevel decoder without its list of strings: each token's chars map straight to bytes
    /// (a token with a char outside the alphabet gives its own UTF-8 bytes), then UTF-8 with U+FFFD.
    /// </summary>
    private string DecodeByteLevel(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = decodeBytesTls ??= new byte[1024];
        int n = 0;
        foreach (int id in ids)
        {
            string? tok;
            if (addedById.TryGetValue(id, out var t))
            {
                if (skipSpecialTokens && t.Special) continue;
                tok = t.Content;
            }
            else
            {
                tok = model!.IdToToken(id);
                if (tok is null) continue;
                if (skipSpecialTokens && addedByContent.TryGetValue(tok, out var at) && at.Special) continue;
            }
            int need = n + Encoding.UTF8.GetMaxByteCount(tok.Length);
            if (need > bytes.Length) Array.Resize(ref bytes, Math.Max(need, bytes.Length * 2));
            int mark = n;
            bool ok = true;
            foreach (char c in tok)
            {
                if (!ByteLevelAlphabet.TryCharToByte(c, out byte b)) { ok = false; break; }
                bytes[n++] = b;
            }
            if (!ok) n = mark + Encoding.UTF8.GetBytes(tok, bytes.AsSpan(mark));
        }
        decodeBytesTls = bytes;
        return Encoding.UTF8.GetString(bytes, 0, n);
    }
}
