using FsCheck;
using FsCheck.Fluent;

namespace Dlm.Chat.Tests;

/// <summary>
/// Properties of every renderer over random conversations (FsCheck): weights and tokens line up,
/// weights are 0/1 and follow the R3 rules, and a generation prompt is a prefix of the
/// supervised example that adds an assistant reply.
/// </summary>
public class PropertyTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.WithAllLayoutTokens();

    // No '<' so random text never spells a special token; newlines, tabs and non-BMP characters included.
    private static readonly Gen<string> Text =
        Gen.Elements('a', 'b', 'Z', ' ', '\n', '\t', '.', '7', 'é', '字', 'я')
            .ArrayOf()
            .Select(cs => new string(cs))
            .Zip(Gen.Elements("", "", "🙂", " end"), (s, tail) => s + tail);

    private static Gen<Message> MessageOf(params string[] roles) =>
        Gen.Elements(roles).Zip(Text, (r, t) => new Message(r, t));

    private static Gen<Message[]> Conversation(bool system) =>
        from n in Gen.Choose(1, 6)
        from messages in (system ? MessageOf(Roles.System, Roles.User, Roles.Assistant) : MessageOf(Roles.User, Roles.Assistant)).ArrayOf(n)
        select messages;

    private static readonly Gen<TrainOnWhat> Modes = Gen.Elements(
        TrainOnWhat.LastAssistantMessage, TrainOnWhat.AllAssistantMessages, TrainOnWhat.AllMessages,
        TrainOnWhat.AllTokens, TrainOnWhat.AllUserAndSystemMessages, TrainOnWhat.Customized, TrainOnWhat.LastAssistantTurn);

    private static bool SupportsSystem(string renderer) => !renderer.StartsWith("deepseekv3", StringComparison.Ordinal);

    private static readonly Gen<(string Renderer, Message[] Messages, TrainOnWhat Mode, bool[] Flags)> Cases =
        from renderer in Gen.Elements(RendererRegistry.Names.ToArray())
        from messages in Conversation(SupportsSystem(renderer))
        from mode in Modes
        from flags in Gen.Elements(true, false).ArrayOf(messages.Length)
        select (renderer, messages, mode, flags);

    private static Message[] WithFlags(Message[] messages, TrainOnWhat mode, bool[] flags) =>
        mode == TrainOnWhat.Customized ? messages.Select((m, i) => m with { Trainable = flags[i] }).ToArray() : messages;

    // R3, written out independently of the renderer code.
    private static bool ShouldTrain(Message[] messages, int i, TrainOnWhat mode)
    {
        var m = messages[i];
        bool last = i == messages.Length - 1;
        int lastUser = Array.FindLastIndex(messages, x => x.Role == Roles.User);
        return mode switch
        {
            TrainOnWhat.LastAssistantMessage => last && m.Role == Roles.Assistant,
            TrainOnWhat.AllAssistantMessages => m.Role == Roles.Assistant,
            TrainOnWhat.AllMessages or TrainOnWhat.AllTokens => true,
            TrainOnWhat.AllUserAndSystemMessages => m.Role is Roles.User or Roles.System,
            TrainOnWhat.Customized => m.Trainable == true,
            TrainOnWhat.LastAssistantTurn => m.Role == Roles.Assistant && i > lastUser,
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    [Fact]
    public void Weights_and_tokens_have_equal_length_and_weights_are_zero_or_one()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var ex = RendererRegistry.Create(c.Renderer, Tok).BuildSupervisedExample(WithFlags(c.Messages, c.Mode, c.Flags), c.Mode);
            return ex.Weights.Length == ex.ModelInput.Length && ex.WeightsArray.All(w => w is 0f or 1f);
        }).QuickCheckFixedSeed();
    }

    [Fact]
    public void Weights_follow_train_on_what()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var messages = WithFlags(c.Messages, c.Mode, c.Flags);
            var renderer = (Renderer)RendererRegistry.Create(c.Renderer, Tok);
            var ex = renderer.BuildSupervisedExample(messages, c.Mode);

            // Expected weights piece by piece: BOS 0, header 1 only under all_tokens, content and
            // (after the last message) suffix by the message's rule.
            var expected = new List<float>();
            int bos = ex.ModelInput.Length;
            for (int i = 0; i < messages.Length; i++)
            {
                var r = renderer.RenderMessage(i, messages[i], i == messages.Length - 1);
                bos -= (r.Prefix?.Length ?? 0) + r.Content.Sum(x => x.Length) + (i == messages.Length - 1 ? r.Suffix?.Length ?? 0 : 0);
                float header = c.Mode == TrainOnWhat.AllTokens ? 1f : 0f, body = ShouldTrain(messages, i, c.Mode) ? 1f : 0f;
                expected.AddRange(Enumerable.Repeat(header, r.Prefix?.Length ?? 0));
                expected.AddRange(Enumerable.Repeat(body, r.Content.Sum(x => x.Length)));
                if (i == messages.Length - 1) expected.AddRange(Enumerable.Repeat(body, r.Suffix?.Length ?? 0));
            }
            expected.InsertRange(0, Enumerable.Repeat(0f, bos));
            return bos is 0 or 1 && expected.SequenceEqual(ex.WeightsArray);
        }).QuickCheckFixedSeed();
    }

    [Fact]
    public void Generation_prompt_is_a_prefix_of_the_supervised_example_with_the_reply()
    {
        var gen =
            from renderer in Gen.Elements(RendererRegistry.Names.ToArray())
            from history in Conversation(SupportsSystem(renderer))
            from reply in Text
            select (renderer, history, reply);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var renderer = RendererRegistry.Create(c.renderer, Tok);
            var prompt = renderer.BuildGenerationPrompt(c.history).ToInts();
            var full = renderer.BuildSupervisedExample([.. c.history, Message.Assistant(c.reply)]).ModelInput.ToInts();
            return full.AsSpan().StartsWith(prompt);
        }).QuickCheckFixedSeed();
    }

    [Fact]
    public void The_datum_of_an_example_predicts_each_next_token_with_its_weight()
    {
        Prop.ForAll(Cases.ToArbitrary(), Gen.Choose(2, 80).ToArbitrary(), (c, maxLength) =>
        {
            var renderer = RendererRegistry.Create(c.Renderer, Tok);
            var ex = renderer.BuildSupervisedExample(WithFlags(c.Messages, c.Mode, c.Flags), c.Mode);
            if (ex.ModelInput.Length < 2) return true;
            var d = DatumBuilder.FromModelInputWeights(ex.ModelInput, ex.Weights, maxLength);
            var tokens = ex.ModelInput.ToInts();
            int n = Math.Min(tokens.Length, maxLength);
            var input = d.ModelInput.ToInts();
            return input.Length == n - 1
                && input.AsSpan().SequenceEqual(tokens.AsSpan(0, n - 1))
                && d.TargetTokens.ToArray().Select(t => (int)t).SequenceEqual(tokens[1..n])
                && d.Weights.SequenceEqual(ex.WeightsArray.AsSpan(1, n - 1));
        }).QuickCheckFixedSeed();
    }
}
