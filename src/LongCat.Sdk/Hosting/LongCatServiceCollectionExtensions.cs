using LongCat.Sdk;
using LongCat.Sdk.AI;
using LongCat.Sdk.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a LongCat model with a service collection.</summary>
/// <example>
/// <code>
/// services.AddLongCat(o => o.ModelPath = "models/longcat-demo");
/// var chat = provider.GetRequiredService&lt;IChatClient&gt;();
/// </code>
/// </example>
public static class LongCatServiceCollectionExtensions
{
    /// <summary>
    /// Registers one shared <see cref="LongCatEngine"/> (a singleton loaded on first use, disposed with the container; it
    /// serves concurrent callers by batching them), a <see cref="LongCatChatClient"/> over it and that client as the
    /// <see cref="IChatClient"/>. The options are validated when the host starts (or, without a host, when the engine is
    /// first resolved): a bad model path or setting fails with an <see cref="OptionsValidationException"/> naming it.
    /// </summary>
    /// <remarks>Resolve <see cref="LongCatEngine"/> once at start-up to load the model eagerly.</remarks>
    public static IServiceCollection AddLongCat(this IServiceCollection services, Action<LongCatServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, null, configure);
        services.TryAddSingleton(sp => Load(sp, null));
        services.TryAddSingleton(sp => new LongCatChatClient(sp.GetRequiredService<LongCatEngine>(), Options(sp, null).Generation));
        services.TryAddSingleton<IChatClient>(sp => sp.GetRequiredService<LongCatChatClient>());
        return services;
    }

    /// <summary>
    /// As <see cref="AddLongCat"/>, under <paramref name="serviceKey"/>: a keyed engine, chat client and <see cref="IChatClient"/>,
    /// so one application can serve several models (<c>[FromKeyedServices("small")] IChatClient chat</c>).
    /// </summary>
    public static IServiceCollection AddKeyedLongCat(this IServiceCollection services, object serviceKey, Action<LongCatServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, serviceKey, configure);
        services.TryAddKeyedSingleton(serviceKey, (sp, _) => Load(sp, serviceKey));
        services.TryAddKeyedSingleton(serviceKey, (sp, key) =>
            new LongCatChatClient(sp.GetRequiredKeyedService<LongCatEngine>(key), Options(sp, serviceKey).Generation));
        services.TryAddKeyedSingleton<IChatClient>(serviceKey, (sp, key) => sp.GetRequiredKeyedService<LongCatChatClient>(key));
        return services;
    }

    private static void AddOptions(IServiceCollection services, object? serviceKey, Action<LongCatServiceOptions> configure)
    {
        services.AddOptions<LongCatServiceOptions>(LongCatServiceNames.For(serviceKey)).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongCatServiceOptions>, LongCatServiceOptionsValidator>());
    }

    private static LongCatServiceOptions Options(IServiceProvider sp, object? serviceKey) =>
        sp.GetRequiredService<IOptionsMonitor<LongCatServiceOptions>>().Get(LongCatServiceNames.For(serviceKey));

    // The container calls this once per registration (singletons are created under its lock) and disposes the engine with itself.
    private static LongCatEngine Load(IServiceProvider sp, object? serviceKey)
    {
        var o = Options(sp, serviceKey);
        return LongCatEngine.LoadAsync(o.ModelPath!, o.Engine).GetAwaiter().GetResult();
    }
}
