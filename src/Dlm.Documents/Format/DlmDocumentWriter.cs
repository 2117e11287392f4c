using System.Globalization;
using System.Text;

namespace Dlm.Documents.Format;

/// <summary>
/// Writes documents back. <see cref="Serialize"/> gives an unmodified document's exact bytes
/// (upstream rewrites and normalises on every save, changing ids). <see cref="Canonical"/> is
/// the normal form <c>dlm fmt</c> writes: UTF-8 without BOM, LF, frontmatter migrated to the
/// current schema with only the keys the document sets (in schema order, values spelled one
/// way), one blank line after <c>---</c>, the leading prose without a fence, every other
/// section fenced, content byte for byte, so it re-parses to the same sections and ids.
/// </summary>
public static class DlmDocumentWriter
{
    /// <summary>The document's bytes as read.</summary>
    public static byte[] Serialize(DlmDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.SourceBytes.ToArray();
    }

    /// <summary>The canonical text of <paramref name="document"/>.</summary>
    public static string Canonical(DlmDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder();
        sb.Append("---\n");
        WriteFrontmatter(sb, document.Frontmatter);
        sb.Append("---\n");
        var blocks = new List<string>();
        for (var i = 0; i < document.Sections.Count; i++)
        {
            var s = document.Sections[i];
            var fence = i == 0 && s.Type == SectionType.Prose && s.Adapter is null ? null : Fence(s);
            var lines = new List<string>();
            if (fence is not null) lines.Add(fence);
            if (s.Marker is not null) lines.Add(s.Marker.Line);
            if (s.Content.Length > 0 || lines.Count == 0) lines.Add(s.Content);
            blocks.Add(string.Join('\n', lines));
        }
        if (blocks.Count > 0) sb.Append('\n').Append(string.Join('\n', blocks)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Whether the file already is in canonical form, byte for byte.</summary>
    public static bool IsCanonical(DlmDocument document) =>
        document.SourceBytes.SequenceEqual(new UTF8Encoding(false).GetBytes(Canonical(document)));

    /// <summary>The fence line for a section: <c>::type::</c>, <c>::type#adapter::</c>, or the attribute form.</summary>
    public static string Fence(Section section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var name = section.Type.Name();
        if (section.Type is SectionType.Image or SectionType.Audio)
        {
            var order = section.Type == SectionType.Image ? new[] { "path", "alt" } : ["path", "transcript"];
            var attrs = order.Where(section.Attributes.ContainsKey).Select(k => $"{k}=\"{section.Attributes[k]}\"");
            return $"::{name} {string.Join(' ', attrs)}::";
        }
        return section.Adapter is null ? $"::{name}::" : $"::{name}#{section.Adapter}::";
    }

    private static void WriteFrontmatter(StringBuilder sb, DlmFrontmatter f)
    {
        var w = new Writer(sb, f);
        w.Line(0, "dlm_id", YamlText.Scalar(f.DlmId));
        w.Line(0, "dlm_version", f.DlmVersion.ToString(CultureInfo.InvariantCulture));
        w.Line(0, "base_model", YamlText.Scalar(f.BaseModel));
        if (f.SystemPrompt is not null) w.Line(0, "system_prompt", YamlText.Scalar(f.SystemPrompt));

        var t = f.Training;
        if (w.Open(0, "training"))
        {
            w.Str(1, "training.adapter", t.Adapter);
            w.Int(1, "training.lora_r", t.LoraR);
            w.Int(1, "training.lora_alpha", t.LoraAlpha);
            w.Num(1, "training.lora_dropout", t.LoraDropout);
            w.AutoList(1, "training.target_modules", t.TargetModules);
            w.Int(1, "training.sequence_len", t.SequenceLen);
            w.AutoInt(1, "training.micro_batch_size", t.MicroBatchSize);
            w.AutoInt(1, "training.grad_accum", t.GradAccum);
            w.Num(1, "training.learning_rate", t.LearningRate);
            w.Int(1, "training.num_epochs", t.NumEpochs);
            w.Str(1, "training.optimizer", t.Optimizer);
            w.Str(1, "training.lr_scheduler", t.LrScheduler);
            w.Num(1, "training.warmup_ratio", t.WarmupRatio);
            if (t.Precision is not null) w.Str(1, "training.precision", t.Precision);
            w.Int(1, "training.seed", t.Seed);
            if (w.Open(1, "training.preference"))
            {
                var p = t.Preference;
                w.Bool(2, "training.preference.enabled", p.Enabled);
                w.Str(2, "training.preference.method", p.Method);
                if (w.Open(2, "training.preference.hyperparams"))
                {
                    w.Num(3, "training.preference.hyperparams.beta", p.Hyperparams.Beta);
                    w.Num(3, "training.preference.hyperparams.alpha", p.Hyperparams.Alpha);
                    w.Num(3, "training.preference.hyperparams.learning_rate", p.Hyperparams.LearningRate);
                    w.Int(3, "training.preference.hyperparams.num_epochs", p.Hyperparams.NumEpochs);
                }
                w.Str(2, "training.preference.loss_type", p.LossType);
                w.Str(2, "training.preference.reference", p.Reference);
            }
            if (w.Open(1, "training.cpt"))
            {
                w.Str(2, "training.cpt.schedule", t.Cpt.Schedule);
                w.Int(2, "training.cpt.embed_warmup_steps", t.Cpt.EmbedWarmupSteps);
            }
            if (w.Open(1, "training.gate"))
            {
                w.Bool(2, "training.gate.enabled", t.Gate.Enabled);
                w.Int(2, "training.gate.hidden_proj_dim", t.Gate.HiddenProjDim);
                w.Int(2, "training.gate.steps", t.Gate.Steps);
                w.Num(2, "training.gate.lr", t.Gate.Lr);
                w.Int(2, "training.gate.cold_start_floor", t.Gate.ColdStartFloor);
                w.Num(2, "training.gate.entropy_lambda", t.Gate.EntropyLambda);
            }
            if (w.Open(1, "training.cache"))
            {
                w.Bool(2, "training.cache.enabled", t.Cache.Enabled);
                w.Int(2, "training.cache.max_bytes", t.Cache.MaxBytes);
                w.Int(2, "training.cache.prune_older_than_days", t.Cache.PruneOlderThanDays);
            }
            if (w.Open(1, "training.audio")) w.Bool(2, "training.audio.auto_resample", t.Audio.AutoResample);
            if (t.Adapters is not null && w.Open(1, "training.adapters"))
            {
                foreach (var (name, a) in t.Adapters)
                {
                    var k = $"training.adapters.{name}";
                    if (!w.Open(2, k)) continue;
                    w.Str(3, k + ".adapter", a.Adapter);
                    w.Int(3, k + ".lora_r", a.LoraR);
                    w.Int(3, k + ".lora_alpha", a.LoraAlpha);
                    w.Num(3, k + ".lora_dropout", a.LoraDropout);
                    w.AutoList(3, k + ".target_modules", a.TargetModules);
                    w.Num(3, k + ".learning_rate", a.LearningRate);
                }
            }
            if (f.IsExplicit("training.sources_policy")) w.Line(1, "sources_policy", t.SourcesPolicy.ToString().ToLowerInvariant());
            if (t.Sources is not null) WriteSources(w, t.Sources);
        }

        var x = f.Export;
        if (w.Open(0, "export"))
        {
            w.Str(1, "export.default_quant", x.DefaultQuant);
            if (x.DefaultTemperature is { } temp) w.Num(1, "export.default_temperature", temp);
            if (x.DefaultTopP is { } topP) w.Num(1, "export.default_top_p", topP);
        }
    }

    /// <summary>Sources as the scaffold writes them: path and globs always double-quoted.</summary>
    private static void WriteSources(Writer w, IReadOnlyList<Descent.SourceDirective> sources)
    {
        w.Raw("  sources:");
        for (var i = 0; i < sources.Count; i++)
        {
            var s = sources[i];
            var k = $"training.sources[{i}]";
            w.Raw($"    - path: {YamlText.Quoted(s.Path)}");
            void Globs(string name, IReadOnlyList<string> globs)
            {
                if (!w.Frontmatter.IsExplicit($"{k}.{name}")) return;
                if (globs.Count == 0) { w.Raw($"      {name}: []"); return; }
                w.Raw($"      {name}:");
                foreach (var g in globs) w.Raw($"        - {YamlText.Quoted(g)}");
            }
            Globs("include", s.Include);
            Globs("exclude", s.Exclude);
            if (s.MaxBytesPerFile is { } mb) w.Raw($"      max_bytes_per_file: {mb.ToString(CultureInfo.InvariantCulture)}");
            if (s.MaxFiles is { } mf) w.Raw($"      max_files: {mf.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>Emits only what the document sets; a mapping set but empty stays as <c>{}</c>.</summary>
    private sealed class Writer(StringBuilder sb, DlmFrontmatter f)
    {
        public DlmFrontmatter Frontmatter => f;

        public void Raw(string line) => sb.Append(line).Append('\n');

        public void Line(int depth, string key, string value) => sb.Append(' ', depth * 2).Append(key).Append(": ").Append(value).Append('\n');

        /// <summary>Writes the key of a mapping the document sets; false when it sets nothing there.</summary>
        public bool Open(int depth, string dotted)
        {
            if (!f.IsExplicit(dotted)) return false;
            var key = Leaf(dotted);
            var hasChildren = f.ExplicitKeys.Any(k => k.StartsWith(dotted + ".", StringComparison.Ordinal) || k.StartsWith(dotted + "[", StringComparison.Ordinal));
            sb.Append(' ', depth * 2).Append(key).Append(hasChildren ? ":" : ": {}").Append('\n');
            return hasChildren;
        }

        public void Str(int depth, string dotted, string value) { if (f.ExplicitKeys.Contains(dotted)) Line(depth, Leaf(dotted), YamlText.Scalar(value)); }

        public void Int(int depth, string dotted, long value) { if (f.ExplicitKeys.Contains(dotted)) Line(depth, Leaf(dotted), value.ToString(CultureInfo.InvariantCulture)); }

        public void Num(int depth, string dotted, double value) { if (f.ExplicitKeys.Contains(dotted)) Line(depth, Leaf(dotted), YamlText.Number(value)); }

        public void Bool(int depth, string dotted, bool value) { if (f.ExplicitKeys.Contains(dotted)) Line(depth, Leaf(dotted), value ? "true" : "false"); }

        public void AutoInt(int depth, string dotted, int? value)
        {
            if (f.ExplicitKeys.Contains(dotted)) Line(depth, Leaf(dotted), value?.ToString(CultureInfo.InvariantCulture) ?? "auto");
        }

        public void AutoList(int depth, string dotted, IReadOnlyList<string>? values)
        {
            if (!f.ExplicitKeys.Contains(dotted)) return;
            if (values is null) { Line(depth, Leaf(dotted), "auto"); return; }
            if (values.Count == 0) { Line(depth, Leaf(dotted), "[]"); return; }
            sb.Append(' ', depth * 2).Append(Leaf(dotted)).Append(":\n");
            foreach (var v in values) sb.Append(' ', depth * 2 + 2).Append("- ").Append(YamlText.Scalar(v)).Append('\n');
        }

        private static string Leaf(string dotted) => dotted[(dotted.LastIndexOf('.') + 1)..];
    }
}
