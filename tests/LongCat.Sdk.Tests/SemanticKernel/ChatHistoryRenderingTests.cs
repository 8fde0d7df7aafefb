using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>
/// A Semantic Kernel chat history with function calls and results, taken the way the chat completion service takes it
/// (Semantic Kernel's own conversion to Microsoft.Extensions.AI messages, then ours), rendered as an exact prompt.
/// </summary>
[TestClass]
public sealed class ChatHistoryRenderingTests
{
    private static string Render(ChatHistory history) =>
        ChatTemplate.Render(ChatMessageConverter.ToLongCat(history.Select(m => m.ToChatMessage())));

    [TestMethod]
    public void Render_PluginCallAndResult_UsesTheFullyQualifiedNameAndTheResultText()
    {
        var history = new ChatHistory("Use tools.");
        history.AddUserMessage("What is 6 times 7?");
        // As Semantic Kernel's chat-client path records a model's call: the tool's full name, no separate plugin.
        var call = new FunctionCallContent("calculator_evaluate", id: "c1", arguments: new KernelArguments { ["expression"] = "6*7" });
        history.Add(new ChatMessageContent(AuthorRole.Assistant, [call]));
        history.Add(new FunctionResultContent(call, "42").ToChatMessage());

        Assert.AreEqual(
            "SYSTEM:Use tools. [Round 0] USER:What is 6 times 7? ASSISTANT:<longcat_tool_call>\n" +
            "{\"name\": \"calculator_evaluate\", \"arguments\": {\"expression\": \"6*7\"}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n42\n</longcat_tool_response> ASSISTANT:",
            Render(history));
    }

    [TestMethod]
    public void Render_FinalAnswerAfterTheResult_ClosesTheRoundAndOpensTheNext()
    {
        var history = new ChatHistory();
        history.AddUserMessage("Time?");
        // As LongCatChatCompletionService returns a call for manual invocation: plugin and function apart, the model's call inside.
        var call = new FunctionCallContent("now", "clock", "c1") { InnerContent = new ToolCall("clock_now", "{}") };
        history.Add(new ChatMessageContent(AuthorRole.Assistant, [call]));
        history.Add(new FunctionResultContent(call, "2026-01-01 12:00").ToChatMessage());
        history.AddAssistantMessage("It is noon.");
        history.AddUserMessage("Thanks");

        Assert.AreEqual(
            "[Round 0] USER:Time? ASSISTANT:<longcat_tool_call>\n{\"name\": \"clock_now\", \"arguments\": {}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n2026-01-01 12:00\n</longcat_tool_response> ASSISTANT:It is noon.</longcat_s> " +
            "[Round 2] USER:Thanks ASSISTANT:",
            Render(history));
    }
}
