using Dlm.Core;

namespace Dlm.Chat.Tests;

public class TrainOnWhatTests
{
    [Theory]
    [InlineData(TrainOnWhat.LastAssistantMessage, "last_assistant_message")]
    [InlineData(TrainOnWhat.AllAssistantMessages, "all_assistant_messages")]
    [InlineData(TrainOnWhat.AllMessages, "all_messages")]
    [InlineData(TrainOnWhat.AllTokens, "all_tokens")]
    [InlineData(TrainOnWhat.AllUserAndSystemMessages, "all_user_and_system_messages")]
    [InlineData(TrainOnWhat.Customized, "customized")]
    [InlineData(TrainOnWhat.LastAssistantTurn, "last_assistant_turn")]
    public void Prints_by_value_and_parses_value_and_names(TrainOnWhat mode, string value)
    {
        Assert.Equal(value, mode.ToValue());
        Assert.Equal(mode, TrainOnWhatNames.Parse(value));
        Assert.Equal(mode, TrainOnWhatNames.Parse(value.ToUpperInvariant()));
        Assert.Equal(mode, TrainOnWhatNames.Parse(mode.ToString()));
    }

    [Fact]
    public void Unknown_value_is_a_user_error_listing_the_values()
    {
        var e = Assert.Throws<DlmException>(() => TrainOnWhatNames.Parse("assistant_only"));
        Assert.Contains("'assistant_only'", e.Message);
        Assert.Contains("all_assistant_messages", e.Message);
        Assert.Equal(7, TrainOnWhatNames.Values.Count);
    }
}

public class ModelInputTests
{
    [Fact]
    public void Length_flatten_append_and_take_keep_chunks()
    {
        var input = new ModelInput([new EncodedTextChunk([1, 2]), new EncodedTextChunk([3])]).AppendInt(4);
        Assert.Equal(4, input.Length);
        Assert.Equal(3, input.Chunks.Count);
        Assert.Equal([1, 2, 3, 4], input.ToInts());
        var cut = input.Take(2);
        Assert.Equal([1, 2], cut.ToInts());
        Assert.Single(cut.Chunks);
        Assert.Equal([1], input.Take(1).ToInts());
        Assert.Equal(0, ModelInput.Empty.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => input.Take(5));
    }

    [Fact]
    public void TensorData_keeps_dtype_and_checks_shape()
    {
        var t = TensorData.FromInt64(new[] { 1, 2, 3, 4 }, [2, 2]);
        Assert.Equal("int64", t.DTypeName);
        Assert.Equal([2, 2], t.Shape);
        Assert.Equal(4L, t.AsInt64()[3]);
        Assert.Throws<InvalidOperationException>(() => t.AsFloat32().ToArray());
        Assert.Equal("float32", TensorData.FromFloat32([1f]).DTypeName);
        Assert.Throws<ArgumentException>(() => TensorData.FromFloat32([1f, 2f], [3]));
    }
}

public class DatumBuilderTests
{
    [Fact]
    public void Shifts_by_one_targets_and_weights_from_index_one()
    {
        var input = new ModelInput([new EncodedTextChunk([10, 11]), new EncodedTextChunk([12, 13, 14])]);
        float[] weights = [0, 0, 1, 1, 0];
        var d = DatumBuilder.FromModelInputWeights(input, weights);
        Assert.Equal([10, 11, 12, 13], d.ModelInput.ToInts());
        Assert.Equal([11L, 12, 13, 14], d.TargetTokens.ToArray());
        Assert.Equal([0f, 1, 1, 0], d.Weights.ToArray());
        Assert.Equal("int64", d.LossFnInputs[Datum.TargetTokensKey].DTypeName);
        Assert.Equal("float32", d.LossFnInputs[Datum.WeightsKey].DTypeName);
    }

    [Fact]
    public void Cuts_from_the_end_before_shifting()
    {
        var input = ModelInput.FromInts([1, 2, 3, 4, 5, 6]);
        float[] weights = [0, 1, 1, 0, 1, 1];
        var d = DatumBuilder.FromModelInputWeights(input, weights, maxLength: 4);
        Assert.Equal([1, 2, 3], d.ModelInput.ToInts());
        Assert.Equal([2L, 3, 4], d.TargetTokens.ToArray());
        Assert.Equal([1f, 1, 0], d.Weights.ToArray());
        // Not longer than max_length: untouched.
        Assert.Equal(5, DatumBuilder.FromModelInputWeights(input, weights, maxLength: 100).ModelInput.Length);
    }

    [Fact]
    public void Refuses_mismatched_weights()
    {
        Assert.Throws<ArgumentException>(() => DatumBuilder.FromModelInputWeights(ModelInput.FromInts([1, 2]), [0f]));
    }
}

public class ConversationJsonTests
{
    [Fact]
    public void Reads_all_fields_and_writes_them_back()
    {
        const string line = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}],"trainable":false},{"role":"assistant","content":"","tool_calls":[{"type":"function","id":"c1","function":{"name":"get","arguments":"{\"q\": 1}"}}],"trainable":true},{"role":"tool","content":"42","tool_call_id":"c1","name":"get"}],"extra":1}""";
        var m = ConversationJson.Parse(line);
        Assert.Equal(4, m.Count);
        Assert.Equal("Hi there", m[1].Content);
        Assert.False(m[1].Trainable);
        Assert.Equal(new ToolCall("get", "{\"q\": 1}", "c1"), Assert.Single(m[2].ToolCalls!));
        Assert.Equal("c1", m[3].ToolCallId);
        var again = ConversationJson.Parse(ConversationJson.Serialize(m));
        Assert.Equal(m, again);
        Assert.Contains("\"content\":\"Be brief.\"", ConversationJson.Serialize(m));
    }

    [Fact]
    public void Errors_name_file_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dlm-chat-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\n\n{\"messages\":[{\"content\":\"b\"}]}\n");
        try
        {
            var e = Assert.Throws<DlmException>(() => ConversationJson.ReadJsonl(path));
            Assert.StartsWith($"{path}:3: ", e.Message);
            Assert.Contains("role", e.Message);
        }
        finally { File.Delete(path); }
        Assert.Throws<DlmException>(() => ConversationJson.Parse("{\"messages\": 3}"));
        Assert.Throws<DlmException>(() => ConversationJson.Parse("not json"));
    }
}
