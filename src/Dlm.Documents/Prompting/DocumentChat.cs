using System.Globalization;
using System.Text.RegularExpressions;
using Dlm.Chat;
using Dlm.Core;
using Dlm.Documents.Format;
using Dlm.Documents.Store;
using Dlm.Documents.Training;
using Dlm.Hub;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;

namespace Dlm.Documents.Prompting;

/// <summary>
/// A trained document ready to talk to, for <c>dlm prompt</c> and <c>dlm repl</c>: its base (from
/// the cache or its folder, never downloaded here), the renderer rows were trained with, and an
/// adapter version of its store (the current one unless one is named).
/// </summary>
public sealed partial class DocumentChat
{
    private DocumentChat(DlmDocument document, DocumentBase b, DocumentStore store)
    {
        Document = document;
        Base = b;
        Store = store;
    }

    /// <summary>The parsed document.</summary>
    public DlmDocument Document { get; }

    /// <summary>Its base model.</summary>
    public DocumentBase Base { get; }

    /// <summary>Its store.</summary>
    public DocumentStore Store { get; }

    /// <summary>
    /// True when the base has a chat template (or is known to the registry): prompts are rendered
    /// as one user turn. Without one a prompt is raw text continued by the model (R2).
    /// </summary>
    public bool IsChat => !string.IsNullOrEmpty(Base.Tokenizer.ChatTemplate) || Base.Resolved.Renderer is not null;

    /// <summary>Opens the document at <paramref name="documentPath"/>; its base must be on disk already.</summary>
    public static DocumentChat Open(string documentPath, HubOptions hub, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(hub);
        var doc = DlmDocumentReader.ReadFile(documentPath);
        var fm = doc.Frontmatter;
        var b = DocumentBase.LoadAsync(fm.BaseModel, DocumentTrainer.AnchorDir(documentPath), hub, acceptLicense: true, download: false)
            .GetAwaiter().GetResult()
            ?? throw new DlmException($"{documentPath}: base {fm.BaseModel} is not downloaded; train the document first (dlm train {documentPath})");
        return new DocumentChat(doc, b, DocumentStore.At(fm.DlmId, home));
    }

    /// <summary>
    /// The adapter folder of <paramref name="version"/> (<c>v0002</c> or <c>2</c>), or of the current
    /// version when null; null when the store has no version yet.
    /// </summary>
    public string? AdapterDir(string? version)
    {
        if (version is null) return Store.CurrentAdapterDir();
        var m = VersionPattern().Match(version);
        if (!m.Success) throw new DlmException($"--adapter {version}: expected a version such as v0001");
        int n = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        var found = Store.VersionFolders().FirstOrDefault(v => v.Version == n);
        if (found.Dir is null)
        {
            var known = string.Join(", ", Store.VersionFolders().Where(v => !v.Rejected).Select(v => AdapterVersionRecord.FolderName(v.Version)));
            throw new DlmException($"--adapter {version}: no such version in {Store.Root} (versions: {(known.Length > 0 ? known : "none")})");
        }
        if (found.Rejected) throw new DlmException($"--adapter {version}: that version was rejected (non-finite weights)");
        return found.Dir;
    }

    /// <summary>The version name of an adapter folder (<c>v0002</c>), or <c>none</c>.</summary>
    public static string VersionName(string? adapterDir) => adapterDir is null ? "none" : Path.GetFileName(adapterDir);

    /// <summary>A sampling client over the base and the adapter folder (null: the base alone).</summary>
    public SamplingClient Client(string? adapterDir) =>
        new(InferenceModel.Load(Base.Folder, WeightFormat.F32, adapterDir), ids => Base.Tokenizer.Decode(ids));

    /// <summary>The messages a prompt starts from: the document's system prompt, when set.</summary>
    public IReadOnlyList<Message> StartingMessages =>
        string.IsNullOrEmpty(Document.Frontmatter.SystemPrompt) ? [] : [Message.System(Document.Frontmatter.SystemPrompt!)];

    /// <summary>The tokens of one query: a user turn with the generation prompt, or the raw text (with BOS) for a base without a chat template.</summary>
    public int[] PromptTokens(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return IsChat
            ? Base.Renderer.BuildGenerationPrompt([.. StartingMessages, Message.User(query)]).ToInts()
            : Base.Tokenizer.Encode(query, addSpecialTokens: true);
    }

    /// <summary>The stop tokens of a reply: the renderer's end of turn, or EOS for raw text.</summary>
    public IReadOnlyList<int> StopTokens()
    {
        if (IsChat) return Base.Renderer.GetStopSequences().Tokens ?? [];
        return Base.Tokenizer.EosToken is { } e && Base.Tokenizer.TokenToId(e) is { } id ? [id] : [];
    }

    /// <summary>Stop strings of a reply (the renderer's, for chat).</summary>
    public IReadOnlyList<string> StopStrings() => IsChat ? Base.Renderer.GetStopSequences().Strings ?? [] : [];

    /// <summary>The text of a sampled reply: parsed by the renderer for chat, else decoded and cut at the stop strings.</summary>
    public string ReplyText(SampledSequence sequence, SamplingParams parameters)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(parameters);
        if (IsChat)
        {
            var parsed = Base.Renderer.ParseResponse(sequence.Tokens);
            if (parsed.Ok) return parsed.Message.Content;
        }
        var tokens = sequence.Tokens.AsSpan();
        if (sequence.StopReason == StopReason.Stop && tokens.Length > 0 && parameters.StopTokens.Contains(tokens[^1])) tokens = tokens[..^1];
        return Generator.TrimAtStop(Base.Tokenizer.Decode(tokens, skipSpecialTokens: true), parameters.StopStrings);
    }

    [GeneratedRegex(@"^v?(\d{1,9})$")]
    private static partial Regex VersionPattern();
}
