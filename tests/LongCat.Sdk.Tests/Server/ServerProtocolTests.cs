using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using LongCatMessage = LongCat.Sdk.Text.LongCatMessage;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// The endpoint's wire protocol over real HTTP on the demo model: errors in OpenAI's shape, n choices, text completions, the
/// models list, health and metrics. The raw HTTP client sends what the OpenAI client never would (malformed bodies).
/// </summary>
[TestClass]
public sealed class ServerProtocolTests
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


    [TestMethod]
    public async Task StopTokenIds_EndTheAnswerAtThatToken()
    {
        const string body = """{"messages":[{"role":"user","content":"Who are you?"}],"temperature":0,"max_tokens":48%STOP%}""";
        int comma = Engine.Tokenizer!.TokenToId(",") ?? throw new AssertInconclusiveException("the demo tokenizer has no ',' token");

        using var whole = await Server.PostAsync("/v1/chat/completions", body.Replace("%STOP%", ""));
        using var cut = await Server.PostAsync("/v1/chat/completions", body.Replace("%STOP%", $",\"stop_token_ids\":[{comma}]"));

        string text = Message(await whole.Content.ReadAsStringAsync());
        Assert.AreEqual(HttpStatusCode.OK, cut.StatusCode);
        Assert.IsTrue(text.Contains(',', StringComparison.Ordinal), $"the greedy answer has a comma: '{text}'");
        Assert.AreEqual(text[..text.IndexOf(',', StringComparison.Ordinal)], Message(await cut.Content.ReadAsStringAsync()));

        static string Message(string json) =>
            JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [TestMethod]
    [DataRow("{not json", null, "invalid_json")]
    [DataRow("[1, 2]", null, "invalid_json")]
    [DataRow("{}", "messages", null)]
    [DataRow("""{"messages":"hi"}""", "messages", null)]
    [DataRow("""{"messages":[]}""", "messages", null)]
    [DataRow("""{"messages":[{"role":"king","content":"x"}]}""", "messages", null)]
    [DataRow("""{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}""", "temperature", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"temperature":-1}""", "temperature", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"top_p":0}""", "top_p", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":0}""", "max_tokens", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":100000}""", "max_tokens", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":1.5}""", "max_completion_tokens", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"n":99}""", "n", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"stop":[1]}""", "stop[0]", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"stream":"yes"}""", "stream", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"stop_token_ids":[-1]}""", "stop_token_ids[0]", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"thinking_budget":-1}""", "thinking_budget", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"retrieval"}]}""", "tools", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"tool_choice":"required"}""", "tools", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"tool_choice":"sometimes"}""", "tool_choice", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}""", "tool_choice", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"xml"}}""", "response_format", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"not":{"type":"string"}}}}}""", "response_format", "invalid_json_schema")]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":[1]}""", "chat_template_kwargs", null)]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"if":{}}}}}}]}""", "tools", "invalid_json_schema")]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"logprobs":true}""", "logprobs", "unsupported_parameter")]
    [DataRow("""{"messages":[{"role":"user","content":"\ud800"}]}""", "messages", "invalid_json")]
    [DataRow("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"\udc00":1}}""", "chat_template_kwargs", "invalid_json")]
    public async Task MalformedChatRequest_Is400InOpenAIsErrorShape_NamingTheField(string body, string? param, string? code)
    {
        using var response = await Server.PostAsync("/v1/chat/completions", body);
        string text = await response.Content.ReadAsStringAsync();
        TestContext.WriteLine(text);

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, text);
        Assert.AreEqual("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.AreEqual("invalid_request_error", error.GetProperty("type").GetString());
        Assert.IsFalse(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.AreEqual(param, error.GetProperty("param").GetString(), text);
        if (code is not null) Assert.AreEqual(code, error.GetProperty("code").GetString(), text);
    }

    [TestMethod]
    public async Task PromptBeyondTheContextWindow_Is400ContextLengthExceeded()
    {
        string longText = string.Concat(Enumerable.Repeat("and the LORD said ", 2000));
        using var response = await Server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = longText } }, max_tokens = 4 }));

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.AreEqual("context_length_exceeded", error.GetProperty("code").GetString());
        StringAssert.Contains(error.GetProperty("message").GetString(), $"{Engine.Config.MaxPositionEmbeddings} tokens");
    }

    [TestMethod]
    public async Task N2_WithASeed_ChoiceIIsTheEnginesAnswerWithSeedPlusI()
    {
        const string body = """{"messages":[{"role":"user","content":"Continue: And God said"}],"n":2,"seed":7,"temperature":1,"max_tokens":12}""";
        var expected = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            string text = "";
            await foreach (var u in Engine.ChatAsync([LongCatMessage.User("Continue: And God said")], new GenerationOptions { Temperature = 1, Seed = 7 + i, MaxTokens = 12 }))
                text += u.Text;
            expected.Add(text);
        }

        // The official client's protocol method: OpenAI's typed ChatCompletion exposes one choice.
        ClientResult result = await Server.Chat(Engine.ModelId).CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(body)), new RequestOptions());
        using var json = JsonDocument.Parse(result.GetRawResponse().Content);
        var choices = json.RootElement.GetProperty("choices").EnumerateArray().ToList();
        TestContext.WriteLine(string.Join(" | ", expected));

        Assert.AreEqual(2, choices.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.AreEqual(i, choices[i].GetProperty("index").GetInt32());
            Assert.AreEqual(expected[i], choices[i].GetProperty("message").GetProperty("content").GetString(), $"choice {i}");
        }
        Assert.AreNotEqual(expected[0], expected[1], "seed and seed + 1 give different answers here");

        using var streamed = await Server.PostAsync("/v1/chat/completions", body[..^1] + ""","stream":true,"stream_options":{"include_usage":true}}""");
        var events = await ServerHost.ReadEventsAsync(streamed);
        Assert.AreEqual("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        for (int i = 0; i < 2; i++)
        {
            var mine = chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray()).Where(c => c.GetProperty("index").GetInt32() == i).ToList();
            string text = string.Concat(mine.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
            Assert.AreEqual(expected[i], text, $"streamed choice {i}");
            Assert.AreEqual(1, mine.Count(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String));
        }
        var usage = chunks[^1].GetProperty("usage");
        Assert.AreEqual(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.AreEqual(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32());
    }

    [TestMethod]
    public async Task Completions_ContinueThePromptAsIs_TextAndTokenIds()
    {
        string expected = "";
        await foreach (var u in Engine.GenerateAsync("In the beginning God", new GenerationOptions { Temperature = 0, MaxTokens = 8 })) expected += u.Text;
        var ids = Engine.Tokenizer!.Encode("In the beginning God");

        using var byText = await Server.PostAsync("/v1/completions", """{"prompt":"In the beginning God","max_tokens":8,"temperature":0}""");
        using var byIds = await Server.PostAsync("/v1/completions", $$"""{"prompt":[{{string.Join(",", ids)}}],"max_tokens":8,"temperature":0}""");

        foreach (var response in new[] { byText, byIds })
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
            using var json = JsonDocument.Parse(body);
            Assert.AreEqual("text_completion", json.RootElement.GetProperty("object").GetString());
            Assert.AreEqual(expected, json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
            Assert.AreEqual(ids.Count(), json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        }
    }

    [TestMethod]
    public async Task Completions_Streamed_AddUpToTheWholeAnswer_UsageLast()
    {
        using var whole = await Server.PostAsync("/v1/completions", """{"prompt":"And God said","max_tokens":10,"temperature":0}""");
        using var json = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());

        using var streamed = await Server.PostAsync("/v1/completions", """{"prompt":"And God said","max_tokens":10,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""");
        var events = await ServerHost.ReadEventsAsync(streamed);

        Assert.AreEqual("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        Assert.AreEqual("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.AreEqual(json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString(),
            string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray()).Select(c => c.GetProperty("text").GetString())));
        Assert.AreEqual(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [TestMethod]
    [DataRow("""{"max_tokens":4}""", "prompt")]
    [DataRow("""{"prompt":["a","b"],"max_tokens":4}""", "prompt")]
    [DataRow("""{"prompt":[1,"b"],"max_tokens":4}""", "prompt[1]")]
    [DataRow("""{"prompt":[99999999],"max_tokens":4}""", "prompt")]
    [DataRow("""{"prompt":"x","echo":true}""", "echo")]
    public async Task MalformedCompletionRequest_Is400NamingTheField(string body, string param)
    {
        using var response = await Server.PostAsync("/v1/completions", body);
        string text = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, text);
        using var json = JsonDocument.Parse(text);
        Assert.AreEqual(param, json.RootElement.GetProperty("error").GetProperty("param").GetString(), text);
    }

    [TestMethod]
    public async Task Models_ListsTheServedModel_AndFindsItById()
    {
        var models = Server.Chat(Engine.ModelId);   // (the key)
        using var list = await Get("/v1/models");
        using var one = await Get($"/v1/models/{Engine.ModelId}");
        using var other = await Get("/v1/models/gpt-4o");

        using var json = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.AreEqual("list", json.RootElement.GetProperty("object").GetString());
        Assert.AreEqual(Engine.ModelId, json.RootElement.GetProperty("data").EnumerateArray().Single().GetProperty("id").GetString());
        Assert.AreEqual(HttpStatusCode.OK, one.StatusCode);
        Assert.AreEqual(HttpStatusCode.NotFound, other.StatusCode);
        Assert.IsNotNull(models);
    }

    [TestMethod]
    [DataRow("GET", "/v1/chat/completions")]
    [DataRow("POST", "/v1/embeddings")]
    [DataRow("GET", "/v1/files/x")]
    public async Task UnknownEndpointOrMethod_Is404InOpenAIsShape(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("{}") : null };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerHost.Key);
        using var response = await Server.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.NotFound, response.StatusCode, text);
        using var json = JsonDocument.Parse(text);
        Assert.AreEqual("unknown_url", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        StringAssert.Contains(json.RootElement.GetProperty("error").GetProperty("message").GetString(), $"{method} {path}");
    }

    [TestMethod]
    public async Task Health_AnswersWithoutAKey_MetricsNeedsOne()
    {
        using var health = await Server.Http.GetAsync("/health");
        using var metrics = await Server.Http.GetAsync("/metrics");

        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
        StringAssert.Contains(await health.Content.ReadAsStringAsync(), "\"ok\"");
        Assert.AreEqual(HttpStatusCode.Unauthorized, metrics.StatusCode);
    }

    [TestMethod]
    public async Task Metrics_CountRequestsByStatus_TokensAndKvBlocks()
    {
        var before = await Server.MetricsAsync();
        using (await Server.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"temperature":0}""")) { }
        using (await Server.PostAsync("/v1/chat/completions", "{")) { }

        var after = await Server.MetricsAsync();

        Assert.AreEqual(Get(before, "longcat_requests_total{endpoint=\"chat_completions\",status=\"200\"}") + 1, after["longcat_requests_total{endpoint=\"chat_completions\",status=\"200\"}"]);
        Assert.AreEqual(Get(before, "longcat_requests_total{endpoint=\"chat_completions\",status=\"400\"}") + 1, after["longcat_requests_total{endpoint=\"chat_completions\",status=\"400\"}"]);
        Assert.AreEqual(before["longcat_completion_tokens_total"] + 3, after["longcat_completion_tokens_total"]);
        Assert.IsTrue(after["longcat_prompt_tokens_total"] > before["longcat_prompt_tokens_total"]);
        Assert.AreEqual(Engine.TotalKvBlocks, after["longcat_kv_blocks_total"]);
        Assert.AreEqual(0, after["longcat_kv_blocks_used"]);
        Assert.AreEqual(0, after["longcat_requests_in_flight"]);
        Assert.AreEqual(before["longcat_time_to_first_token_seconds_count"] + 1, after["longcat_time_to_first_token_seconds_count"]);
        Assert.AreEqual(after["longcat_time_to_first_token_seconds_count"], after["longcat_time_to_first_token_seconds_bucket{le=\"+Inf\"}"]);

        static double Get(Dictionary<string, double> m, string key) => m.TryGetValue(key, out double v) ? v : 0;
    }

    private static Task<HttpResponseMessage> Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerHost.Key);
        return Server.Http.SendAsync(request);
    }
}
