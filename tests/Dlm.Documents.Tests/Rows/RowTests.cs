using Dlm.Chat;
using Dlm.Documents.Format;
using Dlm.Documents.Rows;
using Dlm.Hub;
using Dlm.Tokenizers;
using Dlm.Tokenizers.Training;

namespace Dlm.Documents.Tests.Rows;

/// <summary>A small BPE tokenizer with the ChatML specials, EOS &lt;|im_end|&gt;.</summary>
public sealed class ChatTokenizer : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("dlm-rows-").FullName;
    public Tokenizer Tokenizer { get; }

    public ChatTokenizer()
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 300, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
        for (int i = 0; i < 5; i++)
            trainer.Feed("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhen was the lighthouse lit?<|im_end|>\n<|im_start|>assistant\nIn 1871.<|im_end|>\n" +
                "The lighthouse on Skerry Point was lit in 1871 and automated in 1983. The ferry leaves at seven.\n");
        trainer.Train().Save(Dir, eosToken: "<|im_end|>");
        Tokenizer = Tokenizer.FromPath(Dir);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class RowTests(ChatTokenizer t) : IClassFixture<ChatTokenizer>
{
    private const string Id = "01JD8X2Y3Z4A5B6C7D8E9F0G1H";

    private static DlmDocument Doc(string frontmatterExtra, string body) =>
        DlmDocumentReader.ParseText($"---\ndlm_id: {Id}\nbase_model: smollm2-135m\n{frontmatterExtra}---\n{body}", "doc.dlm");

    [Fact]
    public void The_split_is_python_s_hash_rule()
    {
        // Values from /usr/bin/python3: int.from_bytes(sha256(f"{seed}\0{id}\0{k}")[:8], "big") and int(0.1 * 2**64).
        Assert.Equal(1844674407370955264UL, ValidationSplit.Threshold);
        Assert.Equal(10765866325834182960UL, ValidationSplit.Key(42, "abcdef0123456789", 0));
        Assert.Equal(11324832148847272051UL, ValidationSplit.Key(42, "abcdef0123456789", 1));
        Assert.Equal(11972116720314091307UL, ValidationSplit.Key(42, "abcdef0123456789", 2));
        Assert.True(ValidationSplit.IsValidation(7, "5feceb66ffc86f38", 1));
        Assert.True(ValidationSplit.IsValidation(7, "6b86b273ff34fce1", 0));
        Assert.True(ValidationSplit.IsValidation(7, "b17ef6d19c7a5b1e", 2));
        Assert.False(ValidationSplit.IsValidation(7, "5feceb66ffc86f38", 0));
        Assert.False(ValidationSplit.IsValidation(7, "6b86b273ff34fce1", 1));
        // Python counts 62 of these 600 rows as validation.
        int n = 0;
        for (int i = 0; i < 200; i++)
        {
            var sid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))[..16];
            for (int k = 0; k < 3; k++) if (ValidationSplit.IsValidation(7, sid, k)) n++;
        }
        Assert.Equal(62, n);
    }

    [Fact]
    public void Prose_is_stripped_gets_eos_and_loss_on_every_token_and_long_rows_become_windows()
    {
        var doc = Doc("", "\n  The lighthouse on Skerry Point was lit in 1871 and automated in 1983. The ferry leaves at seven.  \n\n");
        var rows = RowBuilder.Build(doc, null, t.Tokenizer, RendererRegistry.Create("chatml", t.Tokenizer), 8, 42);
        var row = Assert.Single(rows.Rows);
        var expected = t.Tokenizer.Encode("The lighthouse on Skerry Point was lit in 1871 and automated in 1983. The ferry leaves at seven.", addSpecialTokens: true)
            .Append(t.Tokenizer.TokenToId("<|im_end|>")!.Value).ToArray();
        Assert.Equal(RowKind.Prose, row.Kind);
        Assert.Equal(doc.Sections[0].Id, row.SectionId);
        Assert.Equal(expected.Length, row.Tokens);
        Assert.Equal((expected.Length - 1 + 7) / 8, row.Windows.Count);
        Assert.All(row.Windows, w => Assert.True(w.ModelInput.Length <= 8));
        // Every target once, in order, all weighted: nothing dropped, nothing repeated.
        Assert.Equal(expected[1..].Select(x => (long)x), row.Windows.SelectMany(w => w.TargetTokens.ToArray()));
        Assert.All(row.Windows, w => Assert.All(w.Weights.ToArray(), x => Assert.Equal(1f, x)));
        Assert.Contains(rows.Notes, n => n.Contains("split into windows", StringComparison.Ordinal));
        Assert.Equal(row.IsValidation, ValidationSplit.IsValidation(42, row.SectionId, 0));
    }

    [Fact]
    public void Qa_pairs_are_rendered_with_the_system_prompt_and_loss_on_the_answer_only()
    {
        var doc = Doc("system_prompt: Be brief.\n", "::instruction::\n### Q\nWhen was the lighthouse lit?\n### A\nIn 1871.\n### Q\nWho?\n### A\nThe keeper.\n");
        var renderer = RendererRegistry.Create("chatml", t.Tokenizer);
        var rows = RowBuilder.Build(doc, null, t.Tokenizer, renderer, 2048, 42);
        Assert.Equal(2, rows.Rows.Count);
        Assert.Equal([0, 1], rows.Rows.Select(r => r.Index));
        Assert.Single(rows.ContentHashes);
        var row = rows.Rows[0];
        var w = Assert.Single(row.Windows);
        var example = renderer.BuildSupervisedExample(
            [Message.System("Be brief."), Message.User("When was the lighthouse lit?"), Message.Assistant("In 1871.")], TrainOnWhat.LastAssistantMessage);
        Assert.Equal(example.ModelInput.ToInts()[1..].Select(x => (long)x), w.TargetTokens.ToArray());
        Assert.StartsWith("<|im_start|>system\nBe brief.<|im_end|>", t.Tokenizer.Decode(example.ModelInput.ToInts()), StringComparison.Ordinal);
        var trained = w.TargetTokens.ToArray().Where((_, i) => w.Weights[i] != 0).Select(x => (int)x).ToArray();
        Assert.Equal("In 1871.<|im_end|>", t.Tokenizer.Decode(trained));
        Assert.Equal(trained.Length, row.LossTokens);
    }

    [Fact]
    public void Preference_sections_are_counted_and_not_trained()
    {
        var doc = Doc("", "Some prose.\n::preference::\n### Prompt\nSay hi.\n### Chosen\nHi.\n### Rejected\nNo.\n");
        var rows = RowBuilder.Build(doc, null, t.Tokenizer, RendererRegistry.Create("chatml", t.Tokenizer), 64, 42);
        Assert.Single(rows.Rows);
        Assert.Equal(1, rows.PreferenceSections);
        Assert.Contains("1 preference section(s) not trained: the preference phase (DPO/ORPO) is not in dlm yet", rows.Notes);
    }

    [Fact]
    public void Every_registry_base_has_its_renderer_in_the_chat_registry()
    {
        foreach (var e in BaseRegistry.All)
        {
            Assert.Equal(e.Renderer, RendererRegistry.RecommendFor(e.Key));
            Assert.Equal(e.Renderer, RendererRegistry.RecommendFor(e.Repo));
            Assert.Contains(e.Renderer, RendererRegistry.Names);
        }
    }
}
