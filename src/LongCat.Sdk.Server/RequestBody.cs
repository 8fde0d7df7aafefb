using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LongCat.Sdk.Server;

/// <summary>Reads a request's JSON body within the server's size limit: 413 past it, 400 for what is not a JSON object.</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument> ReadAsync(HttpContext http, long limit, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength is long declared && declared > limit) throw TooLarge(limit, declared);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrel) kestrel.MaxRequestBodySize = limit;
        var body = new MemoryStream();
        byte[] chunk = ArrayPool<byte>.Shared.Rent(16 << 10);
        try
        {
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (body.Length + n > limit) throw TooLarge(limit, null);
                body.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        if (body.Length == 0) throw ApiError.BadRequest(null, "The request has no body; send a JSON object.", "invalid_json");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest(null, $"The body is not valid JSON: {e.Message}", "invalid_json");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            string kind = RequestFields.Describe(document.RootElement);
            document.Dispose();
            throw ApiError.BadRequest(null, $"The body must be a JSON object, not {kind}.", "invalid_json");
        }
        if (FirstInvalidString(document.RootElement, "") is { } path)
        {
            document.Dispose();
            throw ApiError.BadRequest(path.Split('.', '[')[0] is { Length: > 0 } field ? field : null,
                $"The string at {(path.Length == 0 ? "the top" : path)} is not valid Unicode (an escaped lone surrogate).", "invalid_json");
        }
        return document;
    }

    // JSON may escape a lone surrogate (\ud800), which no .NET string can hold: found once here, so no later read of the body
    // (GetString) throws.
    private static string? FirstInvalidString(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(e) ? null : path;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray())
                    if (FirstInvalidString(item, $"{path}[{i++}]") is { } bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = p.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;                                    // the name itself
                    }
                    string at = path.Length == 0 ? name : $"{path}.{name}";
                    if (FirstInvalidString(p.Value, at) is { } bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Decodes(JsonElement s)
    {
        try
        {
            _ = s.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static ApiError TooLarge(long limit, long? declared) =>
        new(StatusCodes.Status413PayloadTooLarge,
            $"The request body {(declared is long n ? $"of {n} bytes " : "")}exceeds this server's limit of {limit} bytes.",
            ApiError.InvalidRequest, null, "request_too_large");
}
