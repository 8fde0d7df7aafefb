using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using LongCat.Sdk.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// The OpenAI endpoint in-process: Kestrel on a loopback address and a free port (port 0), over an engine the test holds (the
/// container does not dispose an instance it was given).
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    public const string Key = "test-key-0123";

    private ServerHost(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        // No response draining: a response disposed mid-stream closes its connection at once, as a client that goes away does
        // (by default the handler first reads up to 1 MiB of the rest to reuse the connection: ~800 demo tokens of SSE, which
        // under a loaded CI took longer than the request's 3,000 tokens and made the disconnect test see no disconnect).
        Http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }

    /// <summary>A client with no key set (tests add the header where they need it).</summary>
    public HttpClient Http { get; }

    /// <summary>Starts the endpoint over <paramref name="engine"/>; <paramref name="configure"/> sets its options (default: no key).</summary>
    public static async Task<ServerHost> StartAsync(LongCatEngine engine, Action<LongCatServerOptions>? configure = null, string address = "127.0.0.1")
    {
        var (app, url) = await StartLoopbackAsync(services =>
        {
            services.AddSingleton(engine);
            services.AddLongCatServer(configure);
        }, app => app.MapLongCatOpenAI(), address);
        return new ServerHost(app, url);
    }

    /// <summary>A Kestrel application on <paramref name="address"/> and a free port, its services and endpoints as given, started;
    /// returns it with its bound address.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartLoopbackAsync(Action<IServiceCollection> services, Action<WebApplication> map,
        string address = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), 0));
        services(builder.Services);
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    /// <summary>The official OpenAI client for chat, pointed at this server's /v1, retries off (a 429 or 5xx shows at once).</summary>
    public ChatClient Chat(string model, string key = Key) => new(model, new ApiKeyCredential(key), ClientOptions());

    public OpenAIClientOptions ClientOptions() => new()
    {
        Endpoint = new Uri(BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>A POST of <paramref name="json"/> with the test key.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, string? key = Key,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return Http.SendAsync(request, completion);
    }

    /// <summary>/metrics as name (with labels) → value.</summary>
    public async Task<Dictionary<string, double>> MetricsAsync(string? key = Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (key is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return ParseMetrics(await response.Content.ReadAsStringAsync());
    }

    public static Dictionary<string, double> ParseMetrics(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return values;
    }

    /// <summary>Waits for <paramref name="condition"/> (what another thread finishes: the engine freeing a request's blocks); fails
    /// after a minute, far beyond what it takes, so only a condition that never holds fails.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Never happened: {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>As <see cref="EventuallyAsync(Func{bool}, string)"/>, for a condition read over HTTP.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Never happened: {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>The <c>data:</c> payloads of a server-sent event stream, in order, to its end.</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    /// <summary>Reads a stream's lines until its first <c>data:</c> event (the generation has begun), leaving the rest unread.</summary>
    public static async Task<string> FirstEventAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return line["data: ".Length..];
        throw new AssertFailedException("The stream ended before its first event.");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
