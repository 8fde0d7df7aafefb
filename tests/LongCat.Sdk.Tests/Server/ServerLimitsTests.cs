using System.Net;
using System.Text.Json;
using LongCat.Sdk.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// The server's limits and lifetime on the demo model, each with a server of its own: body size (413), prompt tokens (400),
/// concurrent requests (429), a client that disconnects mid-stream (its KV blocks come back, generation stops), the host's
/// shutdown (in-flight streams end), and the rules checked before serving (a keyless server off loopback, bad options).
/// </summary>
[TestClass]
public sealed class ServerLimitsTests
{
    private static LongCatEngine? _engine;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _) => _engine = await TestModels.SharedDemoAsync();

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    // A request that would generate for seconds: 3000 tokens past any end of turn.
    private const string LongStream = """{"prompt":"And God said","max_tokens":3000,"ignore_eos":true,"temperature":1,"seed":3,"stream":true}""";

    private static Task EngineIdleAsync() => ServerHost.EventuallyAsync(
        () => Engine.Statistics.RunningRequests == 0 && Engine.Statistics.WaitingRequests == 0 && Engine.FreeKvBlocks == Engine.TotalKvBlocks,
        "the engine ended every request and holds no KV block");

    [TestMethod]
    public async Task BodyOverTheLimit_Is413_DeclaredOrChunked()
    {
        await using var server = await ServerHost.StartAsync(Engine, o => o.MaxRequestBodyBytes = 1024);
        string body = JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = new string('a', 2000) } } });

        using var declared = await server.PostAsync("/v1/chat/completions", body, key: null);
        var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body))),   // no Content-Length
        };
        using var streamed = await server.Http.SendAsync(chunked);

        foreach (var response in new[] { declared, streamed })
        {
            string text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode, text);
            using var json = JsonDocument.Parse(text);
            Assert.AreEqual("request_too_large", json.RootElement.GetProperty("error").GetProperty("code").GetString());
            StringAssert.Contains(json.RootElement.GetProperty("error").GetProperty("message").GetString(), "1024 bytes");
        }
    }

    [TestMethod]
    public async Task PromptOverMaxPromptTokens_Is400ContextLengthExceeded_AndAShortOneIsServed()
    {
        await using var server = await ServerHost.StartAsync(Engine, o => o.MaxPromptTokens = 24);

        using var tooLong = await server.PostAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"And God said, Let there be light: and there was light. And God saw the light, that it was good."}],"max_tokens":2}""", key: null);
        using var shortOne = await server.PostAsync("/v1/completions", """{"prompt":"And God","max_tokens":2}""", key: null);

        string text = await tooLong.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.BadRequest, tooLong.StatusCode, text);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.AreEqual("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.AreEqual("messages", error.GetProperty("param").GetString());
        StringAssert.Contains(error.GetProperty("message").GetString(), "at most 24");
        Assert.AreEqual(HttpStatusCode.OK, shortOne.StatusCode, await shortOne.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task RequestPastMaxConcurrentRequests_Is429WithRetryAfter()
    {
        await using var server = await ServerHost.StartAsync(Engine, o => o.MaxConcurrentRequests = 1);
        using (var first = await server.PostAsync("/v1/completions", LongStream, key: null, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await first.Content.ReadAsStreamAsync());
            await ServerHost.FirstEventAsync(reader);                  // the first is being served

            using var second = await server.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", key: null);

            string text = await second.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.TooManyRequests, second.StatusCode, text);
            Assert.IsNotNull(second.Headers.RetryAfter);
            using var json = JsonDocument.Parse(text);
            Assert.AreEqual("rate_limit_exceeded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        await EngineIdleAsync();
        // The slot is the server's: it frees when the first request's handler has unwound, which can come after the engine is
        // idle (a CI run on a loaded machine posted the third in between and got 429).
        await ServerHost.EventuallyAsync(async () => (await server.MetricsAsync(key: null))["longcat_requests_in_flight"] == 0, "the first request ended");
        using var third = await server.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", key: null);
        Assert.AreEqual(HttpStatusCode.OK, third.StatusCode, "the slot is free again once the first has gone");
    }

    [TestMethod]
    public async Task ClientDisconnectingMidStream_FreesItsKvBlocks_AndStopsGenerating()
    {
        await using var server = await ServerHost.StartAsync(Engine);
        var before = await server.MetricsAsync(key: null);

        using (var response = await server.PostAsync("/v1/completions", LongStream, key: null, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await ServerHost.FirstEventAsync(reader);
            var during = await server.MetricsAsync(key: null);
            Assert.AreEqual(1, during["longcat_requests_in_flight"]);
            Assert.IsTrue(during["longcat_kv_blocks_used"] > 0, "the stream holds KV blocks");
            Assert.AreEqual(1, during["longcat_engine_requests_running"] + during["longcat_engine_requests_waiting"]);
        }                                                               // the client goes away mid-stream

        await EngineIdleAsync();
        await ServerHost.EventuallyAsync(async () => (await server.MetricsAsync(key: null))["longcat_requests_in_flight"] == 0, "the request ended");
        var after = await server.MetricsAsync(key: null);
        double generated = after["longcat_completion_tokens_total"] - before["longcat_completion_tokens_total"];
        TestContext.WriteLine($"generated {generated} of 3000 tokens before the disconnect stopped it");
        Assert.AreEqual(0, after["longcat_kv_blocks_used"]);
        Assert.IsTrue(generated is > 0 and < 3000, $"{generated} tokens: the disconnect cancelled the generation");
    }

    [TestMethod]
    public async Task HostStopping_EndsInFlightStreams_WithAShutdownError()
    {
        var server = await ServerHost.StartAsync(Engine);
        List<string> events;
        try
        {
            using var response = await server.PostAsync("/v1/chat/completions",
                """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3000,"ignore_eos":true,"temperature":1,"seed":1,"stream":true}""",
                key: null, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            events = [await ServerHost.FirstEventAsync(reader)];

            var stopping = server.App.StopAsync();
            while (await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }

        await EngineIdleAsync();
        StringAssert.Contains(events[^1], "server_shutting_down");
        Assert.IsFalse(events.Contains("[DONE]"), "a cut stream does not claim to be complete");
        Assert.IsTrue(events.Count < 3000);
    }

    [TestMethod]
    public async Task NoApiKey_OnANonLoopbackAddress_TheHostRefusesToStart()
    {
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => ServerHost.StartAsync(Engine, address: "0.0.0.0"));

        StringAssert.Contains(e.Message, "no API key");
        StringAssert.Contains(e.Message, "0.0.0.0");
    }

    [TestMethod]
    [DataRow("http://127.0.0.1:8080", true)]
    [DataRow("http://127.1.2.3:80", true)]
    [DataRow("http://[::1]:8080", true)]
    [DataRow("http://localhost:5000", true)]
    [DataRow("http://0.0.0.0:8080", false)]
    [DataRow("http://[::]:8080", false)]
    [DataRow("http://*:80", false)]
    [DataRow("http://+:80", false)]
    [DataRow("http://192.168.1.5:80", false)]
    [DataRow("http://[::ffff:127.0.0.1]:80", true)]
    public void LoopbackUrl_IsRecognised(string url, bool loopback) => Assert.AreEqual(loopback, Loopback.IsLoopbackUrl(url));

    [TestMethod]
    public void BadOptions_FailWhenTheEndpointIsMapped_NamingTheOption()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSingleton(Engine);
        builder.Services.AddLongCatServer(o => o.MaxConcurrentRequests = 0);
        using var app = builder.Build();

        var e = Assert.ThrowsExactly<OptionsValidationException>(() => app.MapLongCatOpenAI());

        StringAssert.Contains(e.Message, "MaxConcurrentRequests");
    }

    [TestMethod]
    public void MapWithoutAddLongCatServerOrAnEngine_SaysWhatIsMissing()
    {
        var noServer = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        noServer.Services.AddSingleton(Engine);
        using var app1 = noServer.Build();
        var noEngine = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        noEngine.Services.AddLongCatServer();
        using var app2 = noEngine.Build();

        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => app1.MapLongCatOpenAI()).Message, "AddLongCatServer");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => app2.MapLongCatOpenAI()).Message, "AddLongCat");
    }

    [TestMethod]
    public async Task EngineFromAddLongCat_IsLoadedByTheFirstRequest()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddLongCat(o =>
        {
            o.ModelPath = Engine.ModelDirectory;
            o.Engine = new LongCatOptions { KvCacheMemory = 16L << 20 };
        });
        builder.Services.AddLongCatServer(o => o.ModelId = "demo");
        await using var app = builder.Build();
        app.MapLongCatOpenAI();
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        using var http = new HttpClient { BaseAddress = address };

        using var health = await http.GetAsync("/health");                  // starts the load
        using var answer = await http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"demo","messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"temperature":0}"""));
        using var healthAfter = await http.GetAsync("/health");

        Assert.AreEqual(HttpStatusCode.OK, answer.StatusCode, await answer.Content.ReadAsStringAsync());
        Assert.AreEqual(HttpStatusCode.OK, healthAfter.StatusCode);
        await app.StopAsync();
    }
}
