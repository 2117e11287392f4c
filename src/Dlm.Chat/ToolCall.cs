namespace Dlm.Chat;

/// <summary>
/// A tool invocation requested by the assistant, in the OpenAI function-calling shape
/// tinker-cookbook uses: <c>{"type":"function","id":...,"function":{"name":...,"arguments":"{json}"}}</c>.
/// </summary>
/// <param name="Name">The function to call.</param>
/// <param name="Arguments">The arguments as a JSON object text.</param>
/// <param name="Id">An optional id that ties the tool's answer to this call.</param>
public sealed record ToolCall(string Name, string Arguments, string? Id = null);
