using LongCat.Sdk;
using LongCat.Sdk.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenAI-compatible endpoint's services; map it with <c>app.MapLongCatOpenAI()</c>.</summary>
/// <example>
/// <code>
/// builder.Services.AddLongCat(o => o.ModelPath = "models/longcat-demo");
/// builder.Services.AddLongCatServer(o => o.ApiKeys.Add(key));
/// var app = builder.Build();
/// app.MapLongCatOpenAI();
/// </code>
/// </example>
public static class LongCatServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the endpoint's options, metrics and admission state, and a start-up check: with no API key, the host fails to
    /// start when the server listens on an address that is not loopback. The engine is the one the container holds
    /// (<c>AddLongCat</c>'s <see cref="LongCatEngineProvider"/>, else a registered <see cref="LongCatEngine"/>). The options are
    /// validated when the host starts.
    /// </summary>
    public static IServiceCollection AddLongCatServer(this IServiceCollection services, Action<LongCatServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LongCatServerOptions>();
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongCatServerOptions>, LongCatServerOptionsValidator>());
        services.TryAddSingleton<OpenAIServer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LoopbackGuard>());
        return services;
    }
}
