using Dlm.Chat.Renderers;
using Dlm.Core;

namespace Dlm.Chat.Tests;

public class RendererTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.WithAllLayoutTokens();

    private static readonly Message[] Chat =
    [
        Message.System("S"),
        Message.User("U1"),
        Message.Assistant("A1"),
        Message.User("U2"),
        Message.Assistant("A2"),
    ];

    private static string Text(IRenderer r, ModelInput input) => Tok.Decode(input.ToInts());

    /// <summary>The text of the tokens with weight 1, in order.</summary>
    private static string Trained(SupervisedExample ex)
    {
        var ids = ex.ModelInput.ToInts();
        return Tok.Decode(ids.Where((_, i) => ex.Weights[i] == 1f).ToArray());
    }

    [Theory]
    [InlineData(TrainOnWhat.LastAssistantMessage, "A2<|eot_id|>")]
    [InlineData(TrainOnWhat.AllAssistantMessages, "A1<|eot_id|>A2<|eot_id|>")]
    [InlineData(TrainOnWhat.AllMessages, "S<|eot_id|>U1<|eot_id|>A1<|eot_id|>U2<|eot_id|>A2<|eot_id|>")]
    [InlineData(TrainOnWhat.AllUserAndSystemMessages, "S<|eot_id|>U1<|eot_id|>U2<|eot_id|>")]
    [InlineData(TrainOnWhat.LastAssistantTurn, "A2<|eot_id|>")]
    public void Llama3_weights_follow_train_on_what(TrainOnWhat mode, string trained)
    {
        var ex = new Llama3Renderer(Tok).BuildSupervisedExample(Chat, mode);
        Assert.Equal(trained, Trained(ex));
        Assert.Equal(ex.ModelInput.Length, ex.Weights.Length);
    }

    [Fact]
    public void All_tokens_trains_headers_but_never_the_bos()
    {
        var ex = new Llama3Renderer(Tok).BuildSupervisedExample(Chat, TrainOnWhat.AllTokens);
        Assert.Equal(0f, ex.Weights[0]);
        Assert.Equal(Tok.TokenToId("<|begin_of_text|>"), ex.ModelInput.ToInts()[0]);
        Assert.All(ex.Weights[1..].ToArray(), w => Assert.Equal(1f, w));
    }

    [Fact]
    public void Last_assistant_turn_trains_every_assistant_message_after_the_last_user()
    {
        Message[] chat = [Message.User("Q"), Message.Assistant("x"), Message.Assistant("y")];
        var ex = new Llama3Renderer(Tok).BuildSupervisedExample(chat, TrainOnWhat.LastAssistantTurn);
        Assert.Equal("x<|eot_id|>y<|eot_id|>", Trained(ex));
        Assert.Equal("y<|eot_id|>", Trained(new Llama3Renderer(Tok).BuildSupervisedExample(chat)));
    }

    [Fact]
    public void Customized_follows_trainable_and_requires_it_everywhere()
    {
        Message[] chat =
        [
            Message.User("Q") with { Trainable = true },
            Message.Assistant("A") with { Trainable = false },
        ];
        var r = new Llama3Renderer(Tok);
        Assert.Equal("Q<|eot_id|>", Trained(r.BuildSupervisedExample(chat, TrainOnWhat.Customized)));

        var missing = Assert.Throws<DlmException>(() => r.BuildSupervisedExample([chat[0], Message.Assistant("A")], TrainOnWhat.Customized));
        Assert.Contains("customized", missing.Message);
        var refused = Assert.Throws<DlmException>(() => r.BuildSupervisedExample(chat, TrainOnWhat.AllMessages));
        Assert.Contains("trainable", refused.Message);
    }

    [Fact]
    public void Role_colon_layout_suffix_and_stop_string()
    {
        var r = new RoleColonRenderer(Tok);
        Message[] chat = [Message.User("Hi"), Message.Assistant("Hello")];
        var ex = r.BuildSupervisedExample(chat);
        Assert.Equal("<s>User: Hi\n\nAssistant: Hello\n\nUser:", Tok.Decode(ex.ModelInput.ToInts()));
        // The suffix after the last assistant message carries that message's weight.
        Assert.Equal(" Hello\n\nUser:", Trained(ex));
        Assert.Equal("<s>User: Hi\n\nAssistant:", Tok.Decode(r.BuildGenerationPrompt([chat[0]]).ToInts()));
        Assert.Equal(["\n\nUser:"], r.GetStopSequences().Strings);
        // No suffix after a last user message.
        Assert.Equal("<s>User: Hi\n\n", Tok.Decode(r.BuildSupervisedExample([chat[0]], TrainOnWhat.AllMessages).ModelInput.ToInts()));
        Assert.Equal("Tool:", Tok.Decode(r.RenderMessage(0, new Message("TOOL", "x")).Prefix!.Tokens));
    }

    [Fact]
    public void Role_colon_without_a_tokenizer_bos_has_none()
    {
        var r = new RoleColonRenderer(CharTokenizer.WithAllLayoutTokens(bos: null));
        Assert.Equal("User: Hi\n\nAssistant:", Tok.Decode(r.BuildGenerationPrompt([Message.User("Hi")]).ToInts()));
    }

    [Fact]
    public void Role_colon_parse_response_outcomes()
    {
        var r = new RoleColonRenderer(Tok);
        Assert.Equal(new ParsedResponse(Message.Assistant("Hello there"), false), r.ParseResponse(Tok.Encode(" Hello there ")));
        Assert.Equal(new ParsedResponse(Message.Assistant("Hello"), true), r.ParseResponse(Tok.Encode(" Hello\n\nUser: more")));
        Assert.Throws<DlmException>(() => r.ParseResponse(Tok.Encode("a\n\nUser: b\n\nUser: c")));
    }

    [Fact]
    public void Stop_token_parse_response_outcomes()
    {
        var r = new Llama3Renderer(Tok);
        int eot = Tok.TokenToId("<|eot_id|>")!.Value;
        Assert.Equal([eot], r.GetStopSequences().Tokens);
        Assert.Equal(new ParsedResponse(Message.Assistant("abc"), false), r.ParseResponse(Tok.Encode("abc")));
        Assert.Equal(new ParsedResponse(Message.Assistant("ab"), true), r.ParseResponse(Tok.Encode("ab<|eot_id|>")));
        Assert.Throws<DlmException>(() => r.ParseResponse(Tok.Encode("a<|eot_id|>b<|eot_id|>")));
    }

    [Fact]
    public void Generation_prompt_ends_with_the_role_header_then_the_prefill()
    {
        var r = new Llama3Renderer(Tok);
        var p = r.BuildGenerationPrompt([Message.User("Hi")], Roles.User, prefill: "Sure");
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSure",
            Tok.Decode(p.ToInts()));
    }

    [Fact]
    public void Qwen3_thinking_rules()
    {
        var r = new Qwen3Renderer(Tok);
        Message[] chat = [Message.User("Q1"), Message.Assistant("<think>r1</think>\n\nA1"), Message.User("Q2"), Message.Assistant("A2")];
        var text = Tok.Decode(r.BuildSupervisedExample(chat).ModelInput.ToInts());
        Assert.Equal("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\nA2<|im_end|>", text);
        // The added <think>\n is in the header, so it is not trained.
        Assert.Equal("A2<|im_end|>", Trained(r.BuildSupervisedExample(chat)));
        // History keeps its thinking when asked to.
        var keep = new Qwen3Renderer(Tok) { StripThinkingFromHistory = false };
        Assert.Contains("<think>r1</think>", Tok.Decode(keep.BuildSupervisedExample(chat).ModelInput.ToInts()));
    }

    [Fact]
    public void Qwen3_tool_messages_and_calls()
    {
        var r = new Qwen3Renderer(Tok);
        Message[] chat =
        [
            Message.User("Weather?"),
            Message.Assistant("Checking.") with { ToolCalls = [new ToolCall("get_weather", "{\"city\": \"Paris\"}")] },
            new Message(Roles.Tool, "{\"t\": 20}"),
        ];
        var text = Tok.Decode(r.BuildGenerationPrompt(chat).ToInts());
        Assert.Equal(
            "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\nChecking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n{\"t\": 20}\n</tool_response><|im_end|>\n<|im_start|>assistant\n", text);

        var parsed = r.ParseResponse(Tok.Encode("Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>"));
        Assert.True(parsed.Ok);
        Assert.Equal("Checking.", parsed.Message.Content);
        Assert.Equal("get_weather", Assert.Single(parsed.Message.ToolCalls!).Name);
        Assert.Equal("{\"city\": \"Paris\"}", parsed.Message.ToolCalls![0].Arguments);
        Assert.False(r.ParseResponse(Tok.Encode("<tool_call>not json</tool_call><|im_end|>")).Ok);
    }

    [Fact]
    public void Qwen3_variants()
    {
        Message[] chat = [Message.User("Q"), Message.Assistant("A")];
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>",
            Tok.Decode(new Qwen3InstructRenderer(Tok).BuildSupervisedExample(chat).ModelInput.ToInts()));
        var off = new Qwen3DisableThinkingRenderer(Tok);
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>",
            Tok.Decode(off.BuildSupervisedExample(chat).ModelInput.ToInts()));
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nSo",
            Tok.Decode(off.BuildGenerationPrompt([chat[0]], prefill: "So").ToInts()));
    }

    [Fact]
    public void DeepSeek_layout_system_rule_and_disable_thinking()
    {
        Message[] chat = [Message.User("Q"), Message.Assistant("A")];
        var r = new DeepSeekV3Renderer(Tok);
        var ex = r.BuildSupervisedExample(chat);
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜>A<｜end▁of▁sentence｜>", Tok.Decode(ex.ModelInput.ToInts()));
        Assert.Equal("A<｜end▁of▁sentence｜>", Trained(ex));
        var e = Assert.Throws<DlmException>(() => r.BuildGenerationPrompt([Message.System("S"), chat[0]]));
        Assert.Contains("system", e.Message);
        var asUser = new DeepSeekV3Renderer(Tok) { SystemRoleAsUser = true };
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>S<｜User｜>Q<｜Assistant｜>",
            Tok.Decode(asUser.BuildGenerationPrompt([Message.System("S"), chat[0]]).ToInts()));
        var off = new DeepSeekV3DisableThinkingRenderer(Tok);
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜></think>A<｜end▁of▁sentence｜>",
            Tok.Decode(off.BuildSupervisedExample(chat).ModelInput.ToInts()));
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜></think>",
            Tok.Decode(off.BuildGenerationPrompt([chat[0]]).ToInts()));
    }

    [Fact]
    public void ChatML_layout_with_optional_default_system()
    {
        Message[] chat = [Message.User("Hi"), Message.Assistant("Hello")];
        var r = new ChatMLRenderer(Tok);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>",
            Tok.Decode(r.BuildSupervisedExample(chat).ModelInput.ToInts()));
        var smol = new ChatMLRenderer(Tok) { DefaultSystemPrompt = "You are SmolLM." };
        Assert.Equal("<|im_start|>system\nYou are SmolLM.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            Tok.Decode(smol.BuildGenerationPrompt([chat[0]]).ToInts()));
        var custom = smol.BuildSupervisedExample([chat[0] with { Trainable = false }, chat[1] with { Trainable = true }], TrainOnWhat.Customized);
        Assert.Equal("Hello<|im_end|>", Trained(custom));
    }

    [Fact]
    public void Niels_layout_role_token_content_eot()
    {
        var r = new NielsRenderer(Tok);
        Message[] chat = [Message.System("S"), Message.User("Q"), Message.Assistant("A")];
        var ex = r.BuildSupervisedExample(chat);
        const string S = NielsTokens.DefaultSystem, U = NielsTokens.DefaultUser, A = NielsTokens.DefaultAssistant, E = NielsTokens.DefaultEndOfTurn;
        Assert.Equal("<|ngpt_eot_84a5023f67d74cf29cc4001becde983c|>", E); // niels-gpt's own token (REFERENCE.md R1)
        Assert.Equal($"{S}S{E}{U}Q{E}{A}A{E}", Tok.Decode(ex.ModelInput.ToInts()));
        Assert.Equal($"A{E}", Trained(ex));
        Assert.Equal($"{S}S{E}{U}Q{E}{A}", Tok.Decode(r.BuildGenerationPrompt(chat[..2]).ToInts()));
        Assert.Equal([Tok.TokenToId(E)!.Value], r.GetStopSequences().Tokens);
        // Other token strings when a tokenizer was trained with them.
        var custom = new NielsRenderer(Tok, new NielsTokens("<|im_start|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"));
        Assert.Equal("<|start_header_id|>Q<|eot_id|><|end_header_id|>", Tok.Decode(custom.BuildGenerationPrompt([chat[1]]).ToInts()));
        Assert.Throws<DlmException>(() => r.BuildGenerationPrompt([new Message(Roles.Tool, "x")]));
        var missing = new NielsRenderer(new CharTokenizer(new Dictionary<string, int>()));
        Assert.Contains("one token", Assert.Throws<DlmException>(() => missing.BuildGenerationPrompt([])).Message);
    }

    [Fact]
    public void Separate_thinking_field_is_refused()
    {
        var e = Assert.Throws<DlmException>(() =>
            new Llama3Renderer(Tok).BuildSupervisedExample([Message.User("Q"), Message.Assistant("A") with { Thinking = "hm" }]));
        Assert.Contains("thinking", e.Message);
    }
}

public class UnsupportedFieldTests
{
    [Theory]
    [InlineData("llama3")]
    [InlineData("deepseekv3")]
    [InlineData("role_colon")]
    [InlineData("chatml")]
    [InlineData("niels")]
    public void Tool_calls_are_refused_where_the_layout_has_no_place_for_them(string name)
    {
        var r = RendererRegistry.Create(name, CharTokenizer.WithAllLayoutTokens());
        var call = Message.Assistant("x") with { ToolCalls = [new ToolCall("f", "{}")] };
        var e = Assert.Throws<DlmException>(() => r.BuildSupervisedExample([Message.User("q"), call]));
        Assert.Contains("tool calls", e.Message);
    }
}
