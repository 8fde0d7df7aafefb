using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Server;

/// <summary>
/// The server's counters, rendered in Prometheus' text format (0.0.4) with the engine's own figures: requests by endpoint and
/// status, tokens, requests in flight, the engine's running and waiting requests, KV blocks, and a time-to-first-token histogram.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] TtftBounds = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly long[] _ttftBuckets = new long[TtftBounds.Length];
    private readonly Lock _ttftGate = new();
    private double _ttftSum;
    private long _ttftCount, _promptTokens, _completionTokens, _inFlight;

    public void Request(string endpoint, int status) => _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);

    public void Tokens(int prompt, int completion)
    {
        Interlocked.Add(ref _promptTokens, prompt);
        Interlocked.Add(ref _completionTokens, completion);
    }

    public void FirstToken(TimeSpan latency)
    {
        double seconds = latency.TotalSeconds;
        lock (_ttftGate)
        {
            for (int i = 0; i < TtftBounds.Length; i++)
                if (seconds <= TtftBounds[i]) _ttftBuckets[i]++;
            _ttftSum += seconds;
            _ttftCount++;
        }
    }

    public void Started() => Interlocked.Increment(ref _inFlight);
    public void Ended() => Interlocked.Decrement(ref _inFlight);
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>The exposition text; the engine's gauges only once it has loaded.</summary>
    public string Render(LongCatEngine? engine)
    {
        var s = new StringBuilder();
        Header(s, "longcat_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        foreach (var ((endpoint, status), count) in _requests.OrderBy(p => p.Key.Endpoint, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            s.Append(CultureInfo.InvariantCulture, $"longcat_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}\n");
        Sample(s, "longcat_prompt_tokens_total", "counter", "Prompt tokens of the requests answered.", Interlocked.Read(ref _promptTokens));
        Sample(s, "longcat_completion_tokens_total", "counter", "Tokens generated (cancelled requests included).", Interlocked.Read(ref _completionTokens));
        Sample(s, "longcat_requests_in_flight", "gauge", "Generation requests being served by this endpoint.", InFlight);
        if (engine is not null)
        {
            var stats = engine.Statistics;
            Sample(s, "longcat_engine_requests_running", "gauge", "Requests the engine is decoding or prefilling.", stats.RunningRequests);
            Sample(s, "longcat_engine_requests_waiting", "gauge", "Requests queued in the engine for a slot or KV blocks.", stats.WaitingRequests);
            Sample(s, "longcat_kv_blocks_total", "gauge", "Pages of the KV cache.", engine.TotalKvBlocks);
            Sample(s, "longcat_kv_blocks_used", "gauge", "Pages of the KV cache held by requests.", engine.TotalKvBlocks - stats.FreeKvBlocks);
            Sample(s, "longcat_prefix_cache_hit_tokens_total", "counter", "Prompt tokens served from the prefix cache.", stats.PrefixCacheHitTokens);
            Sample(s, "longcat_preemptions_total", "counter", "Requests preempted to free KV blocks.", stats.Preemptions);
            Sample(s, "longcat_draft_tokens_total", "counter", "Tokens drafted by the MTP head.", stats.DraftedTokens);
            Sample(s, "longcat_draft_tokens_accepted_total", "counter", "Drafted tokens accepted.", stats.AcceptedDraftTokens);
        }
        Header(s, "longcat_time_to_first_token_seconds", "histogram", "From a choice's admission to its first generated token.");
        lock (_ttftGate)
        {
            for (int i = 0; i < TtftBounds.Length; i++)
                s.Append(CultureInfo.InvariantCulture, $"longcat_time_to_first_token_seconds_bucket{{le=\"{TtftBounds[i]}\"}} {_ttftBuckets[i]}\n");
            s.Append(CultureInfo.InvariantCulture, $"longcat_time_to_first_token_seconds_bucket{{le=\"+Inf\"}} {_ttftCount}\n");
            s.Append(CultureInfo.InvariantCulture, $"longcat_time_to_first_token_seconds_sum {_ttftSum}\n");
            s.Append(CultureInfo.InvariantCulture, $"longcat_time_to_first_token_seconds_count {_ttftCount}\n");
        }
        return s.ToString();
    }

    private static void Header(StringBuilder s, string name, string type, string help) =>
        s.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Sample(StringBuilder s, string name, string type, string help, long value)
    {
        Header(s, name, type, help);
        s.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }
}
