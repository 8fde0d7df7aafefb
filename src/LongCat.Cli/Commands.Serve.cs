using System.Net;
using LongCat.Sdk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongCat.Cli;

internal static partial class Commands
{
    /// <summary>The environment variable <c>longcat serve</c> reads an API key from (a key on the command line shows in ps).</summary>
    public const string ApiKeyVariable = "LONGCAT_API_KEY";

    /// <summary>
    /// <c>longcat serve</c>: loads the model and serves the OpenAI-compatible API (LongCat.Sdk.Server) on HOST:PORT until
    /// <paramref name="stop"/> or Ctrl+C; prints <c>listening on http://HOST:PORT</c> (the bound port for --port 0) on
    /// <paramref name="stdout"/> once requests are accepted. Without an API key it serves loopback addresses only.
    /// </summary>
    public static async Task<int> ServeAsync(CliArgs a, TextWriter stdout, CancellationToken stop)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("serve")); return 0; }
        a.RejectUnknown("model", "device", "quantize", "draft-vocab", "host", "port", "api-key", "model-name", "max-concurrent",
            "max-tokens-limit", "max-prompt-tokens", "max-body-bytes");
        string host = a.Get("host") ?? "127.0.0.1";
        var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip
            : throw new UsageException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::1, ...) or localhost, not '{host}'");
        int port = a.Int("port") ?? 8080;
        if (port is < 0 or > 65535) throw new UsageException($"--port must be between 0 and 65535 (0: any free port), not {port}");
        var keys = a.All("api-key").ToList();
        if (Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } fromEnvironment) keys.Add(fromEnvironment);
        if (keys.Count == 0 && !IPAddress.IsLoopback(address))
            throw new UsageException($"--host {host} reaches beyond this machine and no API key is set: give --api-key KEY (or set {ApiKeyVariable}), or serve 127.0.0.1");
        var limits = new Sdk.Server.LongCatServerOptions
        {
            ApiKeys = keys,
            ModelId = a.Get("model-name"),
            MaxConcurrentRequests = a.Int("max-concurrent") ?? 64,
            MaxTokensLimit = a.Int("max-tokens-limit") ?? 4096,
            MaxPromptTokens = a.Int("max-prompt-tokens"),
            MaxRequestBodyBytes = a.Get("max-body-bytes") is { } bytes ? PlanCommand.ParseSize(bytes, "--max-body-bytes") : 4L << 20,
        };
        try
        {
            limits.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{e.ParamName}: {e.Message}");
        }

        await using var engine = await LoadAsync(a);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        builder.Services.AddSingleton(engine);                     // the container does not dispose it: this method does
        builder.Services.AddLongCatServer(o =>
        {
            o.ApiKeys = limits.ApiKeys;
            o.ModelId = limits.ModelId;
            o.MaxConcurrentRequests = limits.MaxConcurrentRequests;
            o.MaxTokensLimit = limits.MaxTokensLimit;
            o.MaxPromptTokens = limits.MaxPromptTokens;
            o.MaxRequestBodyBytes = limits.MaxRequestBodyBytes;
        });
        await using var app = builder.Build();
        app.MapLongCatOpenAI();
        await app.StartAsync(stop);
        foreach (string url in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            stdout.WriteLine($"listening on {url}");
        stdout.Flush();
        await app.WaitForShutdownAsync(stop);                      // Ctrl+C, SIGTERM or stop: in-flight streams end as cancelled
        return 0;
    }
}
