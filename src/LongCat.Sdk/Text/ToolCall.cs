namespace LongCat.Sdk.Text;

/// <summary>One function call made by the model: <c>{"name": ..., "arguments": {...}}</c> inside a <c>&lt;longcat_tool_call&gt;</c> block.</summary>
/// <param name="Name">The function's name, as advertised in a <see cref="ToolDefinition"/>.</param>
/// <param name="ArgumentsJson">The arguments as the text of one JSON object (the parser hands it back compact, e.g. <c>{"city":"Paris"}</c>).</param>
/// <param name="Id">An identifier the caller may use to match a <see cref="LongCatRole.Tool"/> result to this call;
/// LongCat's format has no ids, so the parser leaves it null and the template does not render it.</param>
public sealed record ToolCall(string Name, string ArgumentsJson, string? Id = null);
