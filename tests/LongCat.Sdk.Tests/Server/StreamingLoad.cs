using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Tests.Server;

/// <summary>One request of a load run: a text prompt continued for exactly <c>MaxTokens</c> tokens (end of turn ignored), sampled
/// with <c>Seed</c>.</summary>
internal sealed record LoadRequest(string Prompt, int MaxTokens, int Seed);

/// <summary>What one request got: the time to its first token and to its end (from when its client sent it), the tokens it
/// was given, and the error it met (null: none).</summary>
internal sealed record LoadResult(TimeSpan FirstToken, TimeSpan Total, int Tokens, string? Error);

/// <summary>A whole run: every request's result (in request order) and the wall time from the first send to the last end.</summary>
internal sealed record LoadRun(IReadOnlyList<LoadResult> Results, TimeSpan Elapsed)
{
    public IEnumerable<string> Errors => Results.Select((r, i) => r.Error is null ? null : $"request {i}: {r.Error}").OfType<string>();

    /// <summary>Tokens of all requests per second of wall time.</summary>
    public double TokensPerSecond => Results.Sum(r => r.Tokens) / Elapsed.TotalSeconds;
}

/// <summary>
/// Streaming load on the endpoint (LoadTests, and the benchmarks' serve-load): <c>clients</c> clients, each sending its next
/// request as soon as its last has ended, until all requests are sent; over HTTP (<c>POST /v1/completions</c>, streamed, usage
/// in the stream) or in-process (<see cref="LongCatEngine.GenerateAsync(string, GenerationOptions?, CancellationToken)"/>), so
/// the two see the same requests at the same concurrency.
/// </summary>
internal static class StreamingLoad
{
    // Openings the demo model was trained on (its corpus is the King James Bible); requests cycle through them.
    private static readonly string[] Prompts =
    [
        "In the beginning God", "And God said", "The LORD is my shepherd", "Blessed are the poor in spirit",
        "And it came to pass", "For God so loved the world", "Then answered Jesus", "Now the serpent was",
    ];

    /// <summary><paramref name="count"/> requests of <paramref name="maxTokens"/> tokens each, seeds 0, 1, 2, ...</summary>
    public static IReadOnlyList<LoadRequest> Requests(int count, int maxTokens) =>
        [.. Enumerable.Range(0, count).Select(i => new LoadRequest(Prompts[i % Prompts.Length], maxTokens, i))];

    /// <summary>The requests sent to the server at <paramref name="baseAddress"/> (its /v1/completions) over HTTP; a request that
    /// fails (a status other than 200, an error event, a stream cut before <c>[DONE]</c>) is recorded, not thrown.</summary>
    public static async Task<LoadRun> OverHttpAsync(Uri baseAddress, string? apiKey, IReadOnlyList<LoadRequest> requests, int clients,
        CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        if (apiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return await RunAsync(requests, clients, r => SendAsync(http, r, cancellationToken));
    }

    /// <summary>The requests sent to <paramref name="engine"/> directly (what an application that links the SDK does).</summary>
    public static Task<LoadRun> InProcessAsync(LongCatEngine engine, IReadOnlyList<LoadRequest> requests, int clients,
        CancellationToken cancellationToken = default) => RunAsync(requests, clients, async r =>
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        int tokens = 0;
        var options = new GenerationOptions { MaxTokens = r.MaxTokens, IgnoreEos = true, Temperature = 1, Seed = r.Seed };
        await foreach (var u in engine.GenerateAsync(r.Prompt, options, cancellationToken))
        {
            if (u.TokenIds.Count > 0) first ??= clock.Elapsed;
            if (u.Usage is { } usage) tokens = usage.CompletionTokens;
        }
        return new LoadResult(first ?? clock.Elapsed, clock.Elapsed, tokens, first is null ? "no token" : null);
    });

    private static async Task<LoadRun> RunAsync(IReadOnlyList<LoadRequest> requests, int clients, Func<LoadRequest, Task<LoadResult>> send)
    {
        var results = new LoadResult[requests.Count];
        int next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (int i = Interlocked.Increment(ref next); i < requests.Count; i = Interlocked.Increment(ref next))
                results[i] = await send(requests[i]);
        })));
        return new LoadRun(results, clock.Elapsed);
    }

    private static async Task<LoadResult> SendAsync(HttpClient http, LoadRequest r, CancellationToken cancellationToken)
    {
        string body = JsonSerializer.Serialize(new
        {
            prompt = r.Prompt, max_tokens = r.MaxTokens, ignore_eos = true, temperature = 1, seed = r.Seed,
            stream = true, stream_options = new { include_usage = true },
        });
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        int tokens = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
                return new LoadResult(clock.Elapsed, clock.Elapsed, 0, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                if (line == "data: [DONE]") return new LoadResult(first ?? clock.Elapsed, clock.Elapsed, tokens, first is null ? "no token" : null);
                using var chunk = JsonDocument.Parse(line.AsMemory("data: ".Length));
                if (chunk.RootElement.TryGetProperty("error", out var error)) return new LoadResult(clock.Elapsed, clock.Elapsed, tokens, error.ToString());
                if (chunk.RootElement.GetProperty("choices").GetArrayLength() > 0) first ??= clock.Elapsed;
                if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    tokens = usage.GetProperty("completion_tokens").GetInt32();
            }
            return new LoadResult(first ?? clock.Elapsed, clock.Elapsed, tokens, "the stream ended without [DONE]");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            return new LoadResult(first ?? clock.Elapsed, clock.Elapsed, tokens, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
