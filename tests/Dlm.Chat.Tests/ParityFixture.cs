using System.Text.Json;
using Dlm.TestSupport;

namespace Dlm.Chat.Tests;

/// <summary>One case of tests/fixtures/chat/render_parity.json (tools/reference/render_fixtures.mjs).</summary>
public sealed record ParityCase(string Name, string Model, string Renderer, string Mode, IReadOnlyList<Message> Messages, string Text, int[] Ids)
{
    public override string ToString() => Name;

    public static IReadOnlyList<ParityCase> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.Fixture("chat", "render_parity.json")));
        var list = new List<ParityCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var messages = ConversationJson.Parse($"{{\"messages\":{c.GetProperty("messages").GetRawText()}}}");
            list.Add(new ParityCase(
                c.GetProperty("name").GetString()!, c.GetProperty("model").GetString()!,
                c.GetProperty("renderer").GetString()!, c.GetProperty("mode").GetString()!, messages,
                c.GetProperty("text").GetString()!,
                c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
        }
        return list;
    }

    public static IEnumerable<object[]> Names() => Load().Select(c => new object[] { c.Name });

    public int[] Render(Dlm.Tokenizers.ITokenizer tokenizer)
    {
        var renderer = RendererRegistry.Create(Renderer, tokenizer);
        return Mode == "generation"
            ? renderer.BuildGenerationPrompt(Messages).ToInts()
            : renderer.BuildSupervisedExample(Messages).ModelInput.ToInts();
    }
}
