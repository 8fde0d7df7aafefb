using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Server;

/// <summary>
/// The fields chat and text completions share: the model, sampling (OpenAI's <c>temperature</c>, <c>top_p</c>, penalties,
/// <c>seed</c>; vLLM's <c>top_k</c>, <c>min_p</c>, <c>repetition_penalty</c>, <c>ignore_eos</c>), length (<c>max_tokens</c> /
/// <c>max_completion_tokens</c>), <c>stop</c>, vLLM's <c>stop_token_ids</c>, <c>n</c>, <c>response_format</c>, a thinking model's
/// <c>thinking_budget</c> (vLLM: <c>thinking_token_budget</c>) and streaming. Defaults are OpenAI's
/// (temperature 1, top_p 1); an absent <c>max_tokens</c> is the server's <see cref="LongCatServerOptions.MaxTokensLimit"/>.
/// </summary>
/// <param name="Options">The generation options of choice 0.</param>
/// <param name="Choices"><c>n</c>.</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>: a last chunk with the usage.</param>
internal sealed record GenerationRequest(GenerationOptions Options, int Choices, bool Stream, bool IncludeUsage)
{
    /// <summary>Choice <paramref name="index"/>'s options: with a seed, choice i draws with seed + i, so each is reproducible
    /// alone and they differ from each other.</summary>
    public static GenerationOptions ForChoice(GenerationOptions options, int index) =>
        index == 0 || options.Seed is not int seed ? options : options with { Seed = unchecked(seed + index) };

    /// <exception cref="ApiError">A field is of the wrong type or out of range (400), or names another model (404).</exception>
    public static GenerationRequest Parse(RequestFields f, LongCatServerOptions limits, string modelId)
    {
        if (f.String("model") is { } model && model != modelId)
            throw new ApiError(StatusCodes.Status404NotFound, $"The model '{model}' does not exist; this server serves '{modelId}'.",
                ApiError.InvalidRequest, "model", "model_not_found");
        if (f.Bool("logprobs") == true || f.Get("top_logprobs") is not null)
            throw ApiError.BadRequest("logprobs", "logprobs are not supported by this server.", "unsupported_parameter");
        if (f.Get("logit_bias") is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any())
            throw ApiError.BadRequest("logit_bias", "logit_bias is not supported by this server.", "unsupported_parameter");

        string lengthField = f.Get("max_completion_tokens") is not null ? "max_completion_tokens" : "max_tokens";
        int maxTokens = f.Int(lengthField, 1, limits.MaxTokensLimit, " (this server's limit)") ?? limits.MaxTokensLimit;
        var options = new GenerationOptions
        {
            Temperature = f.Float("temperature") ?? 1f,
            TopP = f.Float("top_p") ?? 1f,
            TopK = f.Long("top_k") is long k ? (k == -1 ? 0 : (int)Math.Clamp(k, -1, int.MaxValue)) : 0,   // vLLM: -1 is off
            MinP = f.Float("min_p") ?? 0f,
            RepetitionPenalty = f.Float("repetition_penalty") ?? 1f,
            PresencePenalty = f.Float("presence_penalty") ?? 0f,
            FrequencyPenalty = f.Float("frequency_penalty") ?? 0f,
            Seed = f.Long("seed") is long seed ? ChatOptionsConverter.FoldSeed(seed) : null,
            MaxTokens = maxTokens,
            StopSequences = Stops(f),
            StopTokenIds = StopTokenIds(f),
            IgnoreEos = f.Bool("ignore_eos") ?? false,
            Constraint = f.Get("response_format") is { } format ? Parse(() => OpenAIChatJson.ParseResponseFormat(format), "response_format") : null,
            MaxPromptTokens = limits.MaxPromptTokens,
            // LongCat's name (GenerationOptions, the IChatClient key), and vLLM's: LongCat.Sdk's remote client sends both.
            ThinkingBudget = f.Int("thinking_budget", 0, int.MaxValue) ?? f.Int("thinking_token_budget", 0, int.MaxValue),
        };
        Validate(options);
        int n = f.Int("n", 1, limits.MaxChoices, " (this server's limit)") ?? 1;
        bool stream = f.Bool("stream") ?? false;
        bool includeUsage = false;
        if (f.Get("stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object) throw RequestFields.Wrong("stream_options", "an object", so);
            includeUsage = new RequestFields(so).Bool("include_usage") ?? false;
        }
        return new GenerationRequest(options, n, stream, includeUsage);
    }

    /// <summary>Checks the options as the engine will, as a 400 naming the request's field.</summary>
    public static void Validate(GenerationOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw ApiError.From(e, "messages", null);
        }
    }

    /// <summary>Runs one of OpenAIChatJson's readers, its <see cref="ArgumentException"/> a 400 naming <paramref name="param"/>.</summary>
    public static T Parse<T>(Func<T> read, string param)
    {
        try
        {
            return read();
        }
        catch (ArgumentException e)
        {
            throw ApiError.BadRequest(param, ApiError.WithoutParameter(e));
        }
    }

    // vLLM's stop_token_ids: a list of token ids; null or absent: none.
    private static int[] StopTokenIds(RequestFields f)
    {
        if (f.Get("stop_token_ids") is not { } list) return [];
        if (list.ValueKind != JsonValueKind.Array) throw RequestFields.Wrong("stop_token_ids", "a list of token ids", list);
        var ids = new List<int>();
        foreach (var item in list.EnumerateArray())
            ids.Add(item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int id) && id >= 0 ? id : throw RequestFields.Wrong($"stop_token_ids[{ids.Count}]", "a token id", item));
        return [.. ids];
    }

    // A string or a list of strings; null or absent: none.
    private static string[] Stops(RequestFields f)
    {
        switch (f.Get("stop"))
        {
            case null:
                return [];
            case { ValueKind: JsonValueKind.String } one:
                return one.GetString() is { Length: > 0 } s ? [s] : throw ApiError.BadRequest("stop", "stop must not be empty.");
            case { ValueKind: JsonValueKind.Array } list:
                var stops = new List<string>();
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String) throw RequestFields.Wrong($"stop[{stops.Count}]", "a string", item);
                    stops.Add(item.GetString() is { Length: > 0 } text ? text : throw ApiError.BadRequest("stop", $"stop[{stops.Count}] is empty."));
                }
                return [.. stops];
            case var other:
                throw RequestFields.Wrong("stop", "a string or a list of strings", other.Value);
        }
    }
}
