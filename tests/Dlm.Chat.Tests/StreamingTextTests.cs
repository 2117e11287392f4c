using Dlm.Tokenizers;

namespace Dlm.Chat.Tests;

/// <summary>Streaming decode: only final text comes out, stop strings are held back and never shown.</summary>
public sealed class StreamingTextTests
{
    private static readonly CharTokenizer Chars = CharTokenizer.WithAllLayoutTokens();

    private static int[] Ids(string text) => Chars.Encode(text);

    [Fact]
    public void The_pieces_add_up_to_the_text_and_a_stop_string_split_over_tokens_is_held_back_then_cut()
    {
        var s = new StreamingText(Chars, ["\n\nUser:"]);
        var pieces = Ids("Hi there.\n\nUser: more").Select(s.Push).ToList();
        Assert.Equal("Hi there.", string.Concat(pieces) + s.Flush());
        Assert.True(s.Stopped);
        Assert.Equal("Hi there.", s.Text);
        // "\n" could start the stop string: it is not shown until it cannot.
        var t = new StreamingText(Chars, ["\n\nUser:"]);
        var shown = Ids("a\nb").Select(t.Push).ToList();
        Assert.Equal(["a", "", "\nb"], shown);
        Assert.False(t.Stopped);
    }

    [Fact]
    public void An_unfinished_character_waits_for_the_next_token()
    {
        var tok = new ReplacementTokenizer();
        var s = new StreamingText(tok);
        Assert.Equal("a", s.Push(1));
        Assert.Equal("", s.Push(2)); // decodes to "a\uFFFD" alone
        Assert.Equal("é", s.Push(3));
    }

    [Fact]
    public void Special_tokens_can_be_left_out()
    {
        int eot = Chars.TokenToId(Dlm.Chat.Renderers.NielsTokens.DefaultEndOfTurn)!.Value;
        var s = new StreamingText(Chars, skipSpecialTokens: true);
        Assert.Equal("ok", string.Concat(Ids("ok").Append(eot).Select(s.Push)) + s.Flush());
    }

    // Ids 1 = "a", 2 = first byte of "é", 3 = its second byte: alone 2 decodes to U+FFFD.
    private sealed class ReplacementTokenizer : ITokenizer
    {
        public int VocabSize => 4;
        public string? BosToken => null;
        public string? EosToken => null;
        public string? ChatTemplate => null;
        public int[] Encode(string text, bool addSpecialTokens = false) => throw new NotSupportedException();
        public int? TokenToId(string token) => null;
        public string? IdToToken(int id) => null;
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
        {
            var bytes = new List<byte>();
            foreach (int id in ids) bytes.AddRange(id switch { 1 => [(byte)'a'], 2 => [0xC3], _ => [0xA9] });
            return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
        }
    }
}

/// <summary>Dropping the oldest turns to fit a prompt budget.</summary>
public sealed class ConversationWindowTests
{
    [Fact]
    public void Oldest_turns_go_first_the_system_message_stays_and_too_long_is_null()
    {
        var r = RendererRegistry.Create("role_colon", CharTokenizer.WithAllLayoutTokens());
        List<Message> m = [Message.System("sys"), Message.User(new string('a', 40)), Message.Assistant(new string('b', 40)), Message.User("short")];
        int full = r.BuildGenerationPrompt(m).Length;
        var all = ConversationWindow.Fit(r, m, full)!;
        Assert.Equal(0, all.Dropped);
        var cut = ConversationWindow.Fit(r, m, full - 1)!;
        Assert.Equal(2, cut.Dropped);
        Assert.Equal(["system", "user"], cut.Messages.Select(x => x.Role));
        Assert.Equal("short", cut.Messages[1].Content);
        Assert.Equal(r.BuildGenerationPrompt(cut.Messages).ToInts(), cut.Prompt.ToInts());
        Assert.Null(ConversationWindow.Fit(r, m, 3));
    }
}
