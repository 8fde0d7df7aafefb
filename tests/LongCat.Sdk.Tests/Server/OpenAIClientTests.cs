using System.ClientModel;
using System.Text.Json;
using Json.Schema;
using OpenAI.Chat;
using LongCatMessage = LongCat.Sdk.Text.LongCatMessage;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// The endpoint driven by the official OpenAI .NET client over real HTTP (Kestrel on a loopback port) and the bundled demo model:
/// plain and streamed answers, a tool round trip, structured output and keys. The assertions are about the wire contract, not
/// the small model's answers (which are written to the test output).
/// </summary>
[TestClass]
public sealed class OpenAIClientTests
{
    private static LongCatEngine? _engine;
    private static ServerHost? _server;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        _engine = await TestModels.SharedDemoAsync();
        if (_engine is not null) _server = await ServerHost.StartAsync(_engine, o => o.ApiKeys.Add(ServerHost.Key));
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);
    private static ServerHost Server => _server ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
    private static ChatClient Client => Server.Chat(Engine.ModelId);

    private static ChatTool Clock() => ChatTool.CreateFunctionTool("Clock-GetCurrentTime", "Get the current time in a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string","description":"The city, e.g. Paris"}},"required":["city"]}"""));

    [TestMethod]
    public async Task CompleteChat_ReturnsTheAnswerWithUsage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 0 };

        ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("Continue: In the beginning God")], options);
        TestContext.WriteLine(answer.Content[0].Text);

        Assert.AreEqual(ChatMessageRole.Assistant, answer.Role);
        Assert.IsFalse(string.IsNullOrEmpty(answer.Content[0].Text));
        Assert.IsTrue(answer.FinishReason is ChatFinishReason.Stop or ChatFinishReason.Length, answer.FinishReason.ToString());
        Assert.AreEqual(Engine.ModelId, answer.Model);
        StringAssert.StartsWith(answer.Id, "chatcmpl-");
        Assert.IsTrue(answer.Usage.InputTokenCount > 0);
        Assert.IsTrue(answer.Usage.OutputTokenCount is > 0 and <= 12, answer.Usage.OutputTokenCount.ToString());
        Assert.AreEqual(answer.Usage.InputTokenCount + answer.Usage.OutputTokenCount, answer.Usage.TotalTokenCount);
    }

    [TestMethod]
    public async Task CompleteChat_Greedy_IsTheEnginesOwnAnswer()
    {
        var messages = new[] { LongCatMessage.User("Continue: And God said") };
        string expected = "";
        await foreach (var u in Engine.ChatAsync(messages, new GenerationOptions { Temperature = 0, MaxTokens = 10 })) expected += u.Text;

        ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("Continue: And God said")],
            new ChatCompletionOptions { MaxOutputTokenCount = 10, Temperature = 0 });

        Assert.AreEqual(expected, answer.Content[0].Text);
    }

    [TestMethod]
    public async Task CompleteChatStreaming_StreamsDeltasThenTheFinishReasonAndUsage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 10, Temperature = 0 };
        var updates = new List<StreamingChatCompletionUpdate>();

        await foreach (var u in Client.CompleteChatStreamingAsync([new UserChatMessage("Continue: And God said")], options)) updates.Add(u);

        string text = string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text));
        TestContext.WriteLine(text);
        ChatCompletion whole = await Client.CompleteChatAsync([new UserChatMessage("Continue: And God said")], options);
        Assert.AreEqual(whole.Content[0].Text, text, "the stream's deltas add up to the non-streamed answer");
        Assert.IsTrue(updates.Count(u => u.ContentUpdate.Count > 0) > 1, "the answer arrives in several chunks");
        Assert.AreEqual(1, updates.Count(u => u.FinishReason is not null));
        var usage = updates.Select(u => u.Usage).Single(u => u is not null)!;   // the client asks for include_usage
        Assert.AreEqual(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.AreEqual(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [TestMethod]
    public async Task ToolRoundTrip_CallThenResultThenAnswer()
    {
        var tools = new ChatCompletionOptions { Tools = { Clock() }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), MaxOutputTokenCount = 40, Temperature = 0 };
        List<ChatMessage> conversation = [new UserChatMessage("What time is it in Paris?")];

        ChatCompletion call = await Client.CompleteChatAsync(conversation, tools);

        Assert.AreEqual(ChatFinishReason.ToolCalls, call.FinishReason);
        var toolCall = call.ToolCalls.Single();
        StringAssert.StartsWith(toolCall.Id, "call_");
        Assert.AreEqual("Clock-GetCurrentTime", toolCall.FunctionName);
        using var arguments = JsonDocument.Parse(toolCall.FunctionArguments);
        Assert.AreEqual(JsonValueKind.String, arguments.RootElement.GetProperty("city").ValueKind, toolCall.FunctionArguments.ToString());
        Assert.IsTrue(call.Content.Count == 0 || call.Content.All(p => !p.Text.Contains("longcat_tool", StringComparison.Ordinal)));

        conversation.Add(new AssistantChatMessage(call));
        conversation.Add(new ToolChatMessage(toolCall.Id, "14:30"));
        var auto = new ChatCompletionOptions { Tools = { Clock() }, MaxOutputTokenCount = 40, Temperature = 0 };
        ChatCompletion answer = await Client.CompleteChatAsync(conversation, auto);
        string text = string.Concat(answer.Content.Select(p => p.Text));
        TestContext.WriteLine($"call: {toolCall.FunctionName}({toolCall.FunctionArguments}); answer: {text}");

        Assert.AreEqual(ChatFinishReason.Stop, answer.FinishReason, text);
        Assert.IsFalse(string.IsNullOrWhiteSpace(text));
        Assert.IsFalse(text.Contains("longcat_tool", StringComparison.Ordinal), text);
    }

    [TestMethod]
    public async Task ToolCall_Streamed_ArrivesAsToolCallUpdatesWithAnId()
    {
        var options = new ChatCompletionOptions { Tools = { Clock() }, ToolChoice = ChatToolChoice.CreateFunctionChoice("Clock-GetCurrentTime"), MaxOutputTokenCount = 40, Temperature = 0 };
        var updates = new List<StreamingChatCompletionUpdate>();

        await foreach (var u in Client.CompleteChatStreamingAsync([new UserChatMessage("What time is it in Tokyo?")], options)) updates.Add(u);

        var calls = updates.SelectMany(u => u.ToolCallUpdates).ToList();
        Assert.AreEqual("Clock-GetCurrentTime", calls.Single(c => c.FunctionName is not null).FunctionName);
        StringAssert.StartsWith(calls.First().ToolCallId, "call_");
        using var arguments = JsonDocument.Parse(string.Concat(calls.Select(c => c.FunctionArgumentsUpdate?.ToString())));
        Assert.AreEqual(JsonValueKind.Object, arguments.RootElement.ValueKind);
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates.Single(u => u.FinishReason is not null).FinishReason);
        Assert.IsFalse(string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)).Contains("longcat_tool", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task ResponseFormat_JsonSchema_TheAnswerParsesAndValidates()
    {
        const string schema = """{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":0,"maximum":150}},"required":["name","age"],"additionalProperties":false}""";
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
            MaxOutputTokenCount = 60,
            Temperature = 0,
        };

        ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("Describe a person as JSON.")], options);
        string text = answer.Content[0].Text;
        TestContext.WriteLine(text);

        Assert.AreEqual(ChatFinishReason.Stop, answer.FinishReason, text);
        using var document = JsonDocument.Parse(text);
        var result = JsonSchema.FromText(schema).Evaluate(document.RootElement);
        Assert.IsTrue(result.IsValid, text);
    }

    [TestMethod]
    public async Task ResponseFormat_JsonObject_TheAnswerIsJson()
    {
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), MaxOutputTokenCount = 40, Temperature = 0 };

        ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("Give me JSON.")], options);

        if (answer.FinishReason == ChatFinishReason.Stop) JsonDocument.Parse(answer.Content[0].Text).Dispose();
        else Assert.AreEqual(ChatFinishReason.Length, answer.FinishReason);
    }

    [TestMethod]
    public async Task MissingOrWrongKey_Is401()
    {
        var wrong = await Assert.ThrowsExactlyAsync<ClientResultException>(() =>
            Server.Chat(Engine.ModelId, "not-the-key").CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 }));
        Assert.AreEqual(401, wrong.Status);

        using var missing = await Server.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", key: null);
        Assert.AreEqual(System.Net.HttpStatusCode.Unauthorized, missing.StatusCode);
        using var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync());
        Assert.AreEqual("missing_api_key", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.AreEqual("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
    }

    [TestMethod]
    public async Task UnknownModel_Is404ModelNotFound()
    {
        var e = await Assert.ThrowsExactlyAsync<ClientResultException>(() =>
            Server.Chat("gpt-4o").CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 }));

        Assert.AreEqual(404, e.Status);
        StringAssert.Contains(e.Message, "gpt-4o");
    }
}
