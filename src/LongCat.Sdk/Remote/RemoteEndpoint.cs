namespace LongCat.Sdk.Remote;

/// <summary>
/// Checks the settings of a remote engine before any request: the server's address (absolute http or https, no credentials,
/// query or fragment), the API key (no control characters: it becomes a header) and the model id. Each failure is an
/// <see cref="ArgumentException"/> naming the setting, as options (<c>Endpoint</c>, <c>ApiKey</c>, <c>ModelId</c>) or as the
/// parameters of a method that takes them.
/// </summary>
internal static class RemoteEndpoint
{
    /// <summary>The settings' names in <c>LongCatServiceOptions</c>.</summary>
    public static readonly (string Endpoint, string ApiKey, string ModelId) OptionNames = ("Endpoint", "ApiKey", "ModelId");

    /// <exception cref="ArgumentException">A setting is unusable; the message and the parameter name say which (by
    /// <paramref name="names"/>; default: <see cref="OptionNames"/>) and why.</exception>
    public static void Validate(Uri? endpoint, string? apiKey, string? modelId, (string Endpoint, string ApiKey, string ModelId)? names = null)
    {
        var n = names ?? OptionNames;
        if (endpoint is null) throw new ArgumentNullException(n.Endpoint, $"{n.Endpoint} is not set: give the server's base address, e.g. http://cluster:30000/v1.");
        if (!endpoint.IsAbsoluteUri)
            throw new ArgumentException($"{n.Endpoint} '{endpoint}' is not an absolute address; give the server's base address, e.g. http://cluster:30000/v1.", n.Endpoint);
        if (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"{n.Endpoint} '{endpoint}' uses the scheme '{endpoint.Scheme}'; an OpenAI-compatible server is reached over http or https.", n.Endpoint);
        if (endpoint.UserInfo.Length > 0)
            throw new ArgumentException($"{n.Endpoint} holds credentials (user:password@); set {n.ApiKey} instead, so the secret is not part of an address that gets logged.", n.Endpoint);
        if (endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
            throw new ArgumentException($"{n.Endpoint} '{endpoint}' has a query or fragment; give the base address the API's paths follow (e.g. http://cluster:30000/v1).", n.Endpoint);
        if (apiKey is not null && (apiKey.Length == 0 || apiKey.Any(char.IsControl) || apiKey != apiKey.Trim()))
            throw new ArgumentException($"{n.ApiKey} is empty, or has spaces at its ends or control characters (it is sent as an Authorization header); leave it null for a server without keys.", n.ApiKey);
        if (modelId is not null && string.IsNullOrWhiteSpace(modelId))
            throw new ArgumentException($"{n.ModelId} is empty; leave it null to let the server answer with the model it serves.", n.ModelId);
    }
}
