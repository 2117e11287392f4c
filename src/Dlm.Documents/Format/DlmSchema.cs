namespace Dlm.Documents.Format;

/// <summary>
/// The frontmatter schema versions dlm reads. Upstream's schema is at version 15; a document
/// of any version 1..15 loads, migrated in memory one step at a time.
/// </summary>
public static class DlmSchema
{
    /// <summary>The version dlm writes and migrates to.</summary>
    public const int CurrentVersion = 15;

    /// <summary>
    /// One migration per version below the current one, keyed by the version it upgrades from.
    /// Only v1→v2 changes data (<c>training.dpo</c> becomes <c>training.preference</c>); every
    /// later bump added optional fields or body grammar, so its step is the identity.
    /// </summary>
    internal static readonly IReadOnlyDictionary<int, Func<YMap, MigrationContext, YMap>> Migrations =
        new Dictionary<int, Func<YMap, MigrationContext, YMap>>
        {
            [1] = DpoToPreference.Migrate,
            [2] = Identity, // v3: training.cpt
            [3] = Identity, // v4: training.adapters (named adapters)
            [4] = Identity, // v5: training.precision
            [5] = Identity, // v6: training.sources
            [6] = Identity, // v7: harvest markers in section bodies
            [7] = Identity, // v8: training.gate
            [8] = Identity, // v9: training.cache
            [9] = Identity, // v10: ::image:: sections
            [10] = Identity, // v11: ::audio:: sections
            [11] = Identity, // v12: training.audio
            [12] = Identity, // v13: base registry refresh, no document change
            [13] = Identity, // v14: auto-mined preference markers
            [14] = Identity, // v15: auto-synth instruction markers
        };

    /// <summary>Every version dlm reads, oldest first.</summary>
    public static IEnumerable<int> SupportedVersions => Enumerable.Range(1, CurrentVersion);

    private static YMap Identity(YMap root, MigrationContext _) => root;
}

/// <summary>The file a migration runs on, for its errors.</summary>
internal sealed record MigrationContext(BindContext Bind);

/// <summary>
/// v1 → v2: <c>training.dpo{enabled, beta, learning_rate, num_epochs, loss_type, reference}</c>
/// becomes <c>training.preference{method: dpo, enabled, hyperparams{beta, learning_rate,
/// num_epochs}, loss_type, reference}</c>, with <c>reference: pre_dpo_adapter</c> renamed
/// <c>pre_adapter</c>. Unlike upstream, a key under <c>dpo</c> it does not know is an error
/// rather than dropped, and a v1 document with both blocks is refused rather than one lost.
/// </summary>
internal static class DpoToPreference
{
    private static readonly string[] DpoKeys = ["enabled", "beta", "learning_rate", "num_epochs", "loss_type", "reference"];

    public static YMap Migrate(YMap root, MigrationContext ctx)
    {
        var trainingEntry = root.Find("training");
        if (trainingEntry?.Value is not YMap training) return root;
        var dpoEntry = training.Find("dpo");
        if (dpoEntry is null) return root;
        if (training.Find("preference") is { } both)
            throw ctx.Bind.Error(both.Line, both.Column,
                "training.preference and the v1 key training.dpo are both set; keep one (dpo is migrated to preference)");
        if (dpoEntry.Value is YScalar { IsNull: true })
            return Replace(root, trainingEntry, training, dpoEntry, null);
        if (dpoEntry.Value is not YMap dpo)
            throw ctx.Bind.Error(dpoEntry.Value, "training.dpo: expected a mapping");

        foreach (var e in dpo.Entries.Where(e => !DpoKeys.Contains(e.Key)))
            throw ctx.Bind.Error(e.Line, e.Column, $"unknown key 'training.dpo.{e.Key}' (v1 training.dpo takes {string.Join(", ", DpoKeys)})");

        var at = dpoEntry;
        var pref = new List<YEntry> { new("method", at.Line, at.Column, new YScalar("dpo", true, at.Line, at.Column)) };
        if (dpo.Find("enabled") is { } enabled) pref.Add(enabled);
        var hyper = dpo.Entries.Where(e => e.Key is "beta" or "learning_rate" or "num_epochs").ToList();
        if (hyper.Count > 0) pref.Add(new YEntry("hyperparams", at.Line, at.Column, new YMap(hyper, dpo.Line, dpo.Column)));
        if (dpo.Find("loss_type") is { } loss) pref.Add(loss);
        if (dpo.Find("reference") is { } reference)
        {
            var value = reference.Value is YScalar { Value: "pre_dpo_adapter" } s ? s with { Value = "pre_adapter" } : reference.Value;
            pref.Add(reference with { Value = value });
        }
        return Replace(root, trainingEntry, training, dpoEntry, new YEntry("preference", at.Line, at.Column, new YMap(pref, dpo.Line, dpo.Column)));
    }

    private static YMap Replace(YMap root, YEntry trainingEntry, YMap training, YEntry dpo, YEntry? preference)
    {
        var entries = training.Entries.Select(e => ReferenceEquals(e, dpo) ? preference : e).OfType<YEntry>().ToList();
        var newTraining = trainingEntry with { Value = training with { Entries = entries } };
        return root with { Entries = root.Entries.Select(e => ReferenceEquals(e, trainingEntry) ? newTraining : e).ToList() };
    }
}
