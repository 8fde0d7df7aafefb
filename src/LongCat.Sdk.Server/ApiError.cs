using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Server;

/// <summary>
/// A refusal in OpenAI's error shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP status: 4xx for
/// anything the client can fix (the message names the field), 5xx only for the server's own failures.
/// </summary>
internal sealed class ApiError(int status, string message, string type = ApiError.InvalidRequest, string? param = null, string? code = null)
    : Exception(message)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerError = "server_error";

    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>400: <paramref name="param"/> of the body is wrong.</summary>
    public static ApiError BadRequest(string? param, string message, string? code = null) => new(400, message, InvalidRequest, param, code);

    /// <summary>The answer to an exception thrown while admitting or running a request: the engine's admission errors are the
    /// client's (400), a disposed engine is 503, anything else the server's (500).</summary>
    /// <param name="e">What was thrown.</param>
    /// <param name="promptParam">The body field that holds the prompt (<c>messages</c> or <c>prompt</c>).</param>
    /// <param name="maxPromptTokens">The server's prompt limit, to tell it from the model's context window.</param>
    public static ApiError From(Exception e, string promptParam, int? maxPromptTokens) => e switch
    {
        ApiError api => api,
        ContextOverflowException c when c.Limit == maxPromptTokens && c.Limit > 0 =>
            BadRequest(promptParam, $"The prompt has {c.Tokens} tokens; this server accepts at most {c.Limit}.", "context_length_exceeded"),
        ContextOverflowException c when c.Limit > 0 =>
            BadRequest(promptParam, $"This model's context window is {c.Limit} tokens; the prompt needs {c.Tokens} (its tokens and one to generate).", "context_length_exceeded"),
        ContextOverflowException c => BadRequest(promptParam, c.Message, "context_length_exceeded"),
        KvCacheExhaustedException k => BadRequest(promptParam, $"{k.Message} Send a shorter request, or give the server a larger KV cache.", "kv_cache_exhausted"),
        JsonSchemaException j => BadRequest("response_format", j.Message, "invalid_json_schema"),
        ChatTemplateException t => BadRequest(promptParam, $"The model's chat template refused the conversation: {t.Message}", "chat_template_error"),
        ArgumentException a => BadRequest(JsonName(a.ParamName), WithoutParameter(a)),
        ObjectDisposedException => new(503, "The engine is shutting down.", ServerError, null, "shutting_down"),
        LongCatException l => new(500, $"The model could not be loaded: {l.Message}", ServerError, null, "model_load_failed"),
        _ => new(500, $"The server failed: {e.GetType().Name}: {e.Message}", ServerError),
    };

    /// <summary>An <see cref="ArgumentException"/>'s message without the "(Parameter 'x')" .NET appends, on one line.</summary>
    public static string WithoutParameter(ArgumentException e)
    {
        string message = e.Message;
        if (e.ParamName is { } name && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
            message = message[..^$" (Parameter '{name}')".Length];
        return message.ReplaceLineEndings(" ");
    }

    // GenerationOptions' property names as the request's fields.
    private static string? JsonName(string? param) => param switch
    {
        null => null,
        "Temperature" => "temperature",
        "TopP" => "top_p",
        "TopK" => "top_k",
        "MinP" => "min_p",
        "RepetitionPenalty" => "repetition_penalty",
        "PresencePenalty" => "presence_penalty",
        "FrequencyPenalty" => "frequency_penalty",
        "MaxTokens" => "max_tokens",
        "StopSequences" => "stop",
        "Tools" or "tools" => "tools",
        "ToolChoice" or "FunctionName" or "Mode" => "tool_choice",
        "ChatTemplateArguments" => "chat_template_kwargs",
        "promptTokens" => "prompt",
        "messages" => "messages",
        _ => null,
    };

    /// <summary>Writes the error as the response (status, headers, body), unless the response has begun.</summary>
    public async Task WriteAsync(HttpContext http)
    {
        if (http.Response.HasStarted) return;
        http.Response.StatusCode = Status;
        if (Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
        if (Status is 429 or 503) http.Response.Headers.RetryAfter = "1";
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(ResponseJson.Write(Write), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Writes <c>{"error": {...}}</c>.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", Message);
        w.WriteString("type", Type);
        w.WriteString("param", Param);
        w.WriteString("code", Code);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
