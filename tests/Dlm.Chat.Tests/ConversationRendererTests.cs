using Dlm.Chat.Renderers;

namespace Dlm.Chat.Tests;

public class ConversationRendererTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.WithAllLayoutTokens();

    [Fact]
    public void Supervised_and_generation_lines()
    {
        var r = new NielsRenderer(Tok);
        Message[] chat = [Message.User("a"), Message.Assistant("b")];
        int user = Tok.TokenToId(NielsTokens.DefaultUser)!.Value, asst = Tok.TokenToId(NielsTokens.DefaultAssistant)!.Value, eot = Tok.TokenToId(NielsTokens.DefaultEndOfTurn)!.Value;
        int a = CharTokenizer.CharBase + 'a', b = CharTokenizer.CharBase + 'b';

        var sup = ConversationRenderer.Render(r, chat, RenderMode.Supervised, TrainOnWhat.LastAssistantMessage);
        Assert.Equal($"{{\"tokens\": [{user}, {a}, {eot}, {asst}, {b}, {eot}], \"weights\": [0, 0, 0, 0, 1, 1]}}", ConversationRenderer.ToJsonLine(sup));

        var gen = ConversationRenderer.Render(r, chat[..1], RenderMode.Generation, TrainOnWhat.AllTokens);
        Assert.Equal($"{{\"tokens\": [{user}, {a}, {eot}, {asst}], \"weights\": [0, 0, 0, 0]}}", ConversationRenderer.ToJsonLine(gen));
    }

    [Theory]
    [InlineData("supervised", true)]
    [InlineData("generation", true)]
    [InlineData("Supervised", false)]
    [InlineData(null, false)]
    public void Mode_names(string? text, bool ok) => Assert.Equal(ok, ConversationRenderer.TryParseMode(text, out _));
}
