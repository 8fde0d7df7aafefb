using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Remote;
using Microsoft.Extensions.AI;
using ToolCall = LongCat.Sdk.Text.ToolCall;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// The remote client on the wire, against a stand-in server: every setting the in-process adapter maps reaches the request body
/// under the name SGLang, vLLM and <c>longcat serve</c> read; what comes back, parsed by the server or as the model's raw text,
/// becomes the contents the in-process client gives.
/// </summary>
[TestClass]
public sealed class RemoteChatClientTests
{
    private static CannedServer _server = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _) => _server = await CannedServer.StartAsync();

    [ClassCleanup]
    public static async Task Stop() => await _server.DisposeAsync();

    [TestInitialize]
    public void Reset()
    {
        _server.Requests.Clear();
        _server.Authorizations.Clear();
        _server.Chunks.Clear();
        _server.Chunks.AddRange([CannedServer.Content("ok", "stop"), CannedServer.Usage(5, 1)]);
    }

    private static AIFunction Clock() => DemoTools.Clock([]);

    private static string Json(JsonElement e) => e.GetRawText();

    [TestMethod]
    public async Task Request_CarriesEverySettingTheInProcessAdapterMaps()
    {
        using var client = new RemoteChatClient(_server.Endpoint, "secret-1", "demo");
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}""");
        var options = new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.9f, TopK = 40, MaxOutputTokens = 33, Seed = 7, PresencePenalty = 0.5f, FrequencyPenalty = 0.25f,
            StopSequences = ["END"],
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement, "answer"),
            Tools = [Clock()], ToolMode = ChatToolMode.RequireSpecific("get_current_time"), AllowMultipleToolCalls = false,
            AdditionalProperties = new()
            {
                [LongCatChatClient.MinPKey] = 0.05f,
                [LongCatChatClient.RepetitionPenaltyKey] = 1.1f,
                [LongCatChatClient.EnableThinkingKey] = false,
                [LongCatChatClient.ThinkingBudgetKey] = 16,
                [LongCatChatClient.ChatTemplateArgumentsKey] = new Dictionary<string, object?> { ["save_history_reasoning_content"] = true, ["enable_thinking"] = true },
            },
        };

        await client.GetResponseAsync("Hi", options);

        var body = _server.Requests.Single();
        Assert.AreEqual("Bearer secret-1", _server.Authorizations.Single());
        Assert.AreEqual("demo", body.GetProperty("model").GetString());
        Assert.AreEqual(0.3, body.GetProperty("temperature").GetDouble(), 1e-6);
        Assert.AreEqual(0.9, body.GetProperty("top_p").GetDouble(), 1e-6);
        Assert.AreEqual(40, body.GetProperty("top_k").GetInt32());
        Assert.AreEqual(0.05, body.GetProperty("min_p").GetDouble(), 1e-6);
        Assert.AreEqual(1.1, body.GetProperty("repetition_penalty").GetDouble(), 1e-6);
        Assert.AreEqual(0.5, body.GetProperty("presence_penalty").GetDouble(), 1e-6);
        Assert.AreEqual(0.25, body.GetProperty("frequency_penalty").GetDouble(), 1e-6);
        Assert.AreEqual(7, body.GetProperty("seed").GetInt64());
        Assert.AreEqual(33, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.AreEqual("""["END"]""", Json(body.GetProperty("stop")));
        var format = body.GetProperty("response_format");
        Assert.AreEqual("json_schema", format.GetProperty("type").GetString());
        Assert.AreEqual("answer", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.AreEqual(schema.RootElement.GetRawText(), Json(format.GetProperty("json_schema").GetProperty("schema")), "the schema as given");
        Assert.AreEqual("get_current_time", body.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.AreEqual("get_current_time", body.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.IsFalse(body.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.AreEqual("""{"save_history_reasoning_content":true,"enable_thinking":false}""", Json(body.GetProperty("chat_template_kwargs")),
            "enable_thinking wins over the same key in the arguments, as in-process");
        Assert.AreEqual(16, body.GetProperty("thinking_budget").GetInt32());
        Assert.AreEqual(16, body.GetProperty("thinking_token_budget").GetInt32());
    }

    [TestMethod]
    public async Task Request_DefaultsApplyWhereOptionsAreUnset_KnobsThatAreOffAreLeftOut()
    {
        var defaults = new GenerationOptions { Temperature = 0.2f, MaxTokens = 40, IgnoreEos = true, StopTokenIds = [5, 6], Seed = 3 };
        using var client = new RemoteChatClient(_server.Endpoint, defaults: defaults);

        await client.GetResponseAsync("Hi", new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } });

        var body = _server.Requests.Single();
        Assert.IsNull(_server.Authorizations.Single(), "no key, no Authorization header");
        Assert.AreEqual(0.2, body.GetProperty("temperature").GetDouble(), 1e-6);
        Assert.AreEqual(40, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.AreEqual(3, body.GetProperty("seed").GetInt32());
        Assert.IsTrue(body.GetProperty("ignore_eos").GetBoolean());
        Assert.AreEqual("[5,6]", Json(body.GetProperty("stop_token_ids")));
        Assert.AreEqual("""{"enable_thinking":true}""", Json(body.GetProperty("chat_template_kwargs")), "an effort other than None turns thinking on");
        string[] absent = ["model", "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "stop", "tools",
            "tool_choice", "response_format", "thinking_budget", "reasoning_effort"];
        foreach (string name in absent) Assert.IsFalse(body.TryGetProperty(name, out _), $"{name} is not sent");
    }

    [TestMethod]
    public async Task RawText_ReasoningAndAJsonCall_AreReadByTheSdk_AcrossChunks()
    {
        using var client = new RemoteChatClient(_server.Endpoint);
        _server.Chunks.Clear();
        _server.Chunks.AddRange([
            CannedServer.Delta("""{"role":"assistant","content":"<longcat_th"}"""),
            CannedServer.Content("ink>\nI should call the clock.\n</longcat_think>\n<longcat_tool_call>{\"name\": \"get_current_time\", "),
            CannedServer.Content("\"arguments\": {\"city\": \"Paris\"}}</longcat_tool_call>", "stop"),
            CannedServer.Usage(20, 30, 9),
        ]);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync("What time is it in Paris?", new ChatOptions { Tools = [Clock()] })) updates.Add(u);

        var contents = updates.SelectMany(u => u.Contents).ToList();
        Assert.AreEqual("I should call the clock.", string.Concat(contents.OfType<TextReasoningContent>().Select(r => r.Text)));
        Assert.AreEqual("", string.Concat(updates.Select(u => u.Text)), "no markup reaches the text");
        var call = contents.OfType<FunctionCallContent>().Single();
        Assert.AreEqual("get_current_time", call.Name);
        Assert.AreEqual("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason, "the server said stop; a call makes it tool_calls");
        Assert.AreEqual(9L, contents.OfType<UsageContent>().Single().Details.ReasoningTokenCount);
    }

    [TestMethod]
    public async Task RawText_AnXmlCallIsTypedByTheSchema_AndAnUnreadableBlockIsACallWithItsError()
    {
        using var client = new RemoteChatClient(_server.Endpoint);
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"minutes":{"type":"integer"},"message":{"type":"string"}}}""");
        var reminder = AIFunctionFactory.CreateDeclaration("Reminder-Create", "Create a reminder.", schema.RootElement);
        _server.Chunks.Clear();
        _server.Chunks.AddRange([
            CannedServer.Content("<longcat_tool_call>Reminder-Create\n<longcat_arg_key>minutes</longcat_arg_key>\n<longcat_arg_value>15</longcat_arg_value>\n"),
            CannedServer.Content("<longcat_arg_key>message</longcat_arg_key>\n<longcat_arg_value>42</longcat_arg_value>\n</longcat_tool_call>"),
            CannedServer.Content("<longcat_tool_call>{\"name\": \"Reminder-Create\", \"arguments\": [1]}</longcat_tool_call>", "stop"),
        ]);

        var response = await client.GetResponseAsync("Remind me in 15 minutes.", new ChatOptions { Tools = [reminder] });

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.HasCount(2, calls);
        Assert.AreEqual(JsonValueKind.Number, ((JsonElement)calls[0].Arguments!["minutes"]!).ValueKind);
        Assert.AreEqual("42", ((JsonElement)calls[0].Arguments!["message"]!).GetString(), "a string parameter keeps its text");
        Assert.IsNull(calls[0].Exception);
        Assert.AreEqual("Reminder-Create", calls[1].Name);
        Assert.IsInstanceOfType<FormatException>(calls[1].Exception, "the unreadable block goes to the invocation layer as an error");
        Assert.AreEqual("", response.Text);
    }

    [TestMethod]
    public async Task ServerParsed_ReasoningContentAndToolCalls_AreTheSameContents_NamesMatchedToTheOfferedTools()
    {
        using var client = new RemoteChatClient(_server.Endpoint);
        var offered = AIFunctionFactory.Create((string city) => "14:30", "Clock_GetCurrentTime", "Get the current time in a city.");
        _server.Chunks.Clear();
        _server.Chunks.AddRange([
            CannedServer.Delta("""{"role":"assistant","reasoning_content":"The clock knows."}"""),
            CannedServer.Delta("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Clock-GetCurrentTime","arguments":"{\"city\": \"Oslo\"}"}}]}"""),
            CannedServer.Delta("{}", "tool_calls"),
            CannedServer.Usage(12, 8, 4),
        ]);

        var response = await client.GetResponseAsync("What time is it in Oslo?", new ChatOptions { Tools = [offered] });

        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        Assert.AreEqual("The clock knows.", contents.OfType<TextReasoningContent>().Single().Text);
        var call = contents.OfType<FunctionCallContent>().Single();
        Assert.AreEqual(("call_1", "Clock_GetCurrentTime"), (call.CallId, call.Name), "the model's spelling, matched to the offered tool as in-process");
        Assert.AreEqual("Clock-GetCurrentTime", ((ToolCall)call.RawRepresentation!).Name);
        Assert.AreEqual("Oslo", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.AreEqual("ToolCalls", response.Messages[^1].AdditionalProperties![LongCatChatClient.FinishReasonKey]);
        Assert.AreEqual(4L, response.Usage!.ReasoningTokenCount);
        Assert.AreEqual(12L, response.Usage.InputTokenCount);
    }

    [TestMethod]
    public async Task History_AnAssistantTurnKeepsItsReasoningAndTheNameTheModelWrote()
    {
        using var client = new RemoteChatClient(_server.Endpoint);
        var call = new FunctionCallContent("call_7", "GetCurrentTime", new Dictionary<string, object?> { ["city"] = "Rome" })
        {
            RawRepresentation = new ToolCall("Clock_GetCurrentTime", """{"city":"Rome"}""", "call_7"),   // as Semantic Kernel hands it back
        };
        ChatMessage[] history =
        [
            new(ChatRole.User, "What time is it in Rome?"),
            new(ChatRole.Assistant, [new TextReasoningContent("Ask the clock."), call]),
            new(ChatRole.Tool, [new FunctionResultContent("call_7", "14:30")]),
        ];

        await client.GetResponseAsync(history);

        var messages = _server.Requests.Single().GetProperty("messages");
        var assistant = messages[1];
        Assert.AreEqual("assistant", assistant.GetProperty("role").GetString());
        Assert.AreEqual("Ask the clock.", assistant.GetProperty("reasoning_content").GetString());
        var sent = assistant.GetProperty("tool_calls")[0];
        Assert.AreEqual(("call_7", "Clock_GetCurrentTime"), (sent.GetProperty("id").GetString(), sent.GetProperty("function").GetProperty("name").GetString()));
        Assert.AreEqual("""{"city":"Rome"}""", sent.GetProperty("function").GetProperty("arguments").GetString());
        Assert.AreEqual("call_7", messages[2].GetProperty("tool_call_id").GetString());
    }

    [TestMethod]
    public async Task Instructions_AndTheLeadingSystemMessages_AreOneSystemMessage_AsInProcess()
    {
        using var client = new RemoteChatClient(_server.Endpoint);

        await client.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.System, "Answer in English."), new(ChatRole.User, "Hi")],
            new ChatOptions { Instructions = "You are LongCat." });
        await client.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi")]);

        var merged = _server.Requests[0].GetProperty("messages");
        Assert.AreEqual(2, merged.GetArrayLength());
        Assert.AreEqual("system", merged[0].GetProperty("role").GetString());
        Assert.AreEqual("You are LongCat.\nBe brief.\nAnswer in English.", merged[0].GetProperty("content").GetString());
        Assert.AreEqual(2, _server.Requests[1].GetProperty("messages").GetArrayLength(), "one system message goes as it is");
    }

    [TestMethod]
    public async Task WhatNoRequestCarries_HeavyThinkingAndRegexConstraints_AreRefusedBeforeSending()
    {
        using var heavy = new RemoteChatClient(_server.Endpoint);
        using var regex = new RemoteChatClient(_server.Endpoint, defaults: new GenerationOptions { Constraint = OutputConstraint.Regex("[0-9]+") });

        await Assert.ThrowsExactlyAsync<NotSupportedException>(() =>
            heavy.GetResponseAsync("q", new ChatOptions { AdditionalProperties = new() { [LongCatChatClient.HeavyThinkingKey] = 4 } }));
        var e = await Assert.ThrowsExactlyAsync<NotSupportedException>(() => regex.GetResponseAsync("q"));

        StringAssert.Contains(e.Message, "Regex");
        Assert.IsEmpty(_server.Requests);
    }

    [TestMethod]
    public async Task AnErrorEventInTheStream_OrAStreamWithoutAnEnd_FailsTheCall()
    {
        using var client = new RemoteChatClient(_server.Endpoint);
        _server.Chunks.Clear();
        _server.Chunks.AddRange([CannedServer.Content("In the"), """{"error":{"message":"The server is shutting down.","type":"server_error","code":"server_shutting_down"}}"""]);

        var error = await Assert.ThrowsExactlyAsync<System.ClientModel.ClientResultException>(() => client.GetResponseAsync("Continue"));
        _server.Chunks.RemoveAt(1);
        var cut = await Assert.ThrowsExactlyAsync<System.ClientModel.ClientResultException>(() => client.GetResponseAsync("Continue"));

        StringAssert.Contains(error.Message, "The server is shutting down.");
        StringAssert.Contains(cut.Message, "without a finish reason");
    }

    [TestMethod]
    public void Metadata_NamesTheProviderEndpointAndModel()
    {
        using var client = new RemoteChatClient(_server.Endpoint, modelId: "demo");

        var metadata = client.GetService<ChatClientMetadata>()!;

        Assert.AreEqual((LongCatChatClient.ProviderName, _server.Endpoint, "demo"), (metadata.ProviderName, metadata.ProviderUri, metadata.DefaultModelId));
        Assert.AreSame(client, client.GetService<RemoteChatClient>());
    }
}
