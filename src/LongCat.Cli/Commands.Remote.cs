using System.Diagnostics;
using LongCat.Sdk;
using LongCat.Sdk.AI;
using LongCat.Sdk.Remote;
using Microsoft.Extensions.AI;
using ToolCall = LongCat.Sdk.Text.ToolCall;

namespace LongCat.Cli;

internal static partial class Commands
{
    /// <summary>The options of a remote engine: the server, its key (also read from <see cref="ApiKeyVariable"/>) and model name.</summary>
    private static readonly string[] RemoteOptions = ["endpoint", "api-key", "model-name"];

    /// <summary>What only a local model has: refused with <c>--endpoint</c>, where the server runs the model.</summary>
    private static readonly string[] LocalOnlyOptions = ["model", "device", "quantize", "draft-vocab", "draft-tokens", "heavy"];

    /// <summary><c>longcat chat --endpoint URL</c>: the chat of a local model, answered by an OpenAI-compatible LongCat server
    /// through the SDK's remote client, with the same sampling, thinking and output options.</summary>
    private static async Task RemoteChatAsync(CliArgs a, string endpointText, GenerationOptions options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        foreach (string local in LocalOnlyOptions)
            if (a.Get(local) is not null) throw new UsageException($"--{local} applies to a local model; with --endpoint the server runs the model");
        string? key = a.Get("api-key") ?? (Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        string? model = a.Get("model-name");
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint))
            throw new UsageException($"--endpoint must be an absolute http or https address such as http://127.0.0.1:8080/v1, not '{endpointText}'");
        try
        {
            RemoteEndpoint.Validate(endpoint, key, model, ("--endpoint", "--api-key", "--model-name"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        using var client = new RemoteChatClient(endpoint, key, model, options);
        stderr.WriteLine($"[remote engine: {endpoint}{(model is null ? "" : $", model {model}")}]");
        var history = new List<ChatMessage>();
        if (a.Get("system") is { } system) history.Add(new ChatMessage(ChatRole.System, system));
        await ChatLoopAsync(stdin, stdout, async line =>
        {
            history.Add(new ChatMessage(ChatRole.User, line));
            string answer = await Print(AsGenerationUpdates(client.GetStreamingResponseAsync(history)), idsOnly: false, a.Has("show-thinking"), stdout, stderr);
            history.Add(new ChatMessage(ChatRole.Assistant, answer));
        });
    }

    /// <summary>A remote stream as the engine's updates, so it prints as a local one: text, reasoning, calls, finish reason, and
    /// usage whose time to first token and tokens per second are measured here (network included).</summary>
    private static async IAsyncEnumerable<GenerationUpdate> AsGenerationUpdates(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        await foreach (var u in updates)
        {
            string reasoning = string.Concat(u.Contents.OfType<TextReasoningContent>().Select(r => r.Text));
            if (first is null && (u.Text.Length > 0 || reasoning.Length > 0)) first = clock.Elapsed;
            var calls = u.Contents.OfType<FunctionCallContent>().Select(c => new ToolCall(c.Name, ChatMessageConverter.ArgumentsJson(c), c.CallId)).ToList();
            var usage = u.Contents.OfType<UsageContent>().LastOrDefault()?.Details;
            var finish = u.AdditionalProperties?.TryGetValue(LongCatChatClient.FinishReasonKey, out string? name) == true
                && Enum.TryParse<FinishReason>(name, out var parsed) ? parsed : (FinishReason?)null;
            yield return new GenerationUpdate
            {
                Text = u.Text,
                Reasoning = reasoning,
                ToolCalls = calls.Count > 0 ? calls : null,
                FinishReason = finish,
                Usage = usage is null ? null : Usage(usage, first ?? clock.Elapsed, clock.Elapsed),
            };
        }
    }

    private static GenerationUsage Usage(UsageDetails usage, TimeSpan first, TimeSpan total)
    {
        int completion = (int)(usage.OutputTokenCount ?? 0);
        double decode = (total - first).TotalSeconds;
        return new GenerationUsage((int)(usage.InputTokenCount ?? 0), completion, first, completion > 1 && decode > 0 ? (completion - 1) / decode : 0)
        {
            ReasoningTokens = (int)(usage.ReasoningTokenCount ?? 0),
        };
    }
}
