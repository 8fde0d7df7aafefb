using System.Diagnostics.CodeAnalysis;
using LongCat.Sdk;
using LongCat.Sdk.AI;
using LongCat.Sdk.Hosting;
using LongCat.Sdk.Remote;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a LongCat model with a service collection.</summary>
/// <example>
/// <code>
/// services.AddLongCat(o => o.ModelPath = "models/longcat-demo").UseFunctionInvocation().UseLogging();
/// var chat = provider.GetRequiredService&lt;IChatClient&gt;();
/// </code>
/// </example>
public static class LongCatServiceCollectionExtensions
{
    private const string BindingNeedsReflection = "Binds LongCatServiceOptions from configuration by reflection (as OptionsBuilder.Bind does); in a trimmed or native AOT app, configure the options with the Action overload.";

    /// <summary>
    /// Registers a <see cref="LongCatEngineProvider"/> (one engine, loaded asynchronously on first use and disposed with the
    /// container; it serves concurrent callers by batching them), a <see cref="LongCatChatClient"/> over it, and that client as
    /// the <see cref="IChatClient"/>, and returns the <see cref="ChatClientBuilder"/> of that registration to add middleware
    /// (<c>.UseFunctionInvocation()</c>, <c>.UseLogging()</c>, …). Resolving the chat client never waits for the model; its
    /// first request does, without blocking a thread. The options are validated when the host starts (or, without a host, when
    /// the engine is first asked for): a bad model path or setting fails with an <see cref="OptionsValidationException"/>
    /// naming it. The engine logs through the container's <see cref="ILoggerFactory"/> unless its options name a logger.
    /// </summary>
    /// <remarks>To load the model at start-up, <c>await provider.GetRequiredService&lt;LongCatEngineProvider&gt;().GetEngineAsync()</c>.
    /// <see cref="LongCatEngine"/> itself is registered too; resolving it waits for the load on the resolving thread.
    /// <para>With <see cref="LongCatServiceOptions.Endpoint"/> set instead of a model path, the <see cref="IChatClient"/> answers
    /// from that OpenAI-compatible LongCat server (a remote engine: SGLang, vLLM, <c>longcat serve</c>), with the same settings
    /// and contents; the engine, its provider and <see cref="LongCatChatClient"/> are then not available (resolving them throws
    /// <see cref="InvalidOperationException"/>).</para></remarks>
    /// <example><c>services.AddLongCat(o =&gt; o.Endpoint = new Uri("http://cluster:30000/v1")).UseFunctionInvocation();</c></example>
    public static ChatClientBuilder AddLongCat(this IServiceCollection services, Action<LongCatServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LongCatServiceOptions>(LongCatServiceNames.For(null)).Configure(configure).ValidateOnStart();
        return Register(services);
    }

    /// <summary>As <see cref="AddLongCat(IServiceCollection, Action{LongCatServiceOptions})"/>, with the options bound from
    /// <paramref name="configuration"/> (a section such as <c>{ "ModelPath": "...", "Engine": { "KvCacheMemory": 1073741824,
    /// "Speculative": { "DraftTokens": 1 } }, "Generation": { "Temperature": 0.2 } }</c>).</summary>
    [RequiresUnreferencedCode(BindingNeedsReflection)]
    [RequiresDynamicCode(BindingNeedsReflection)]
    public static ChatClientBuilder AddLongCat(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LongCatServiceOptions>(LongCatServiceNames.For(null)).Bind(configuration).ValidateOnStart();
        return Register(services);
    }

    /// <summary>
    /// As <see cref="AddLongCat(IServiceCollection, Action{LongCatServiceOptions})"/>, under <paramref name="serviceKey"/>: a keyed
    /// engine provider, chat client and <see cref="IChatClient"/>, so one application can serve several models
    /// (<c>[FromKeyedServices("small")] IChatClient chat</c>).
    /// </summary>
    public static ChatClientBuilder AddKeyedLongCat(this IServiceCollection services, object serviceKey, Action<LongCatServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LongCatServiceOptions>(LongCatServiceNames.For(serviceKey)).Configure(configure).ValidateOnStart();
        return RegisterKeyed(services, serviceKey);
    }

    /// <summary>As <see cref="AddKeyedLongCat(IServiceCollection, object, Action{LongCatServiceOptions})"/>, with the options bound
    /// from <paramref name="configuration"/>.</summary>
    [RequiresUnreferencedCode(BindingNeedsReflection)]
    [RequiresDynamicCode(BindingNeedsReflection)]
    public static ChatClientBuilder AddKeyedLongCat(this IServiceCollection services, object serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LongCatServiceOptions>(LongCatServiceNames.For(serviceKey)).Bind(configuration).ValidateOnStart();
        return RegisterKeyed(services, serviceKey);
    }

    private static ChatClientBuilder Register(IServiceCollection services)
    {
        AddValidator(services);
        services.TryAddSingleton(sp => Provider(sp, null));
        services.TryAddSingleton(sp => Wait(sp.GetRequiredService<LongCatEngineProvider>()));
        services.TryAddSingleton(sp => new LongCatChatClient(sp.GetRequiredService<LongCatEngineProvider>(), Options(sp, null).Generation));
        services.TryAddSingleton(sp => Remote(sp, null));
        return services.AddChatClient(sp => Options(sp, null).Endpoint is null ? sp.GetRequiredService<LongCatChatClient>() : sp.GetRequiredService<RemoteChatClient>());
    }

    private static ChatClientBuilder RegisterKeyed(IServiceCollection services, object serviceKey)
    {
        AddValidator(services);
        services.TryAddKeyedSingleton(serviceKey, (sp, _) => Provider(sp, serviceKey));
        services.TryAddKeyedSingleton(serviceKey, (sp, key) => Wait(sp.GetRequiredKeyedService<LongCatEngineProvider>(key)));
        services.TryAddKeyedSingleton(serviceKey, (sp, key) =>
            new LongCatChatClient(sp.GetRequiredKeyedService<LongCatEngineProvider>(key), Options(sp, serviceKey).Generation));
        services.TryAddKeyedSingleton(serviceKey, (sp, _) => Remote(sp, serviceKey));
        return services.AddKeyedChatClient(serviceKey, sp => Options(sp, serviceKey).Endpoint is null
            ? sp.GetRequiredKeyedService<LongCatChatClient>(serviceKey)
            : sp.GetRequiredKeyedService<RemoteChatClient>(serviceKey));
    }

    private static void AddValidator(IServiceCollection services) =>
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongCatServiceOptions>, LongCatServiceOptionsValidator>());

    internal static LongCatServiceOptions Options(IServiceProvider sp, object? serviceKey) =>
        sp.GetRequiredService<IOptionsMonitor<LongCatServiceOptions>>().Get(LongCatServiceNames.For(serviceKey));

    // The chat client of a registration with an Endpoint: the server's, with the registration's defaults.
    private static RemoteChatClient Remote(IServiceProvider sp, object? serviceKey)
    {
        var o = Options(sp, serviceKey);
        return new RemoteChatClient(o.Endpoint ?? throw NoRemote(serviceKey), o.ApiKey, o.ModelId, o.Generation);
    }

    private static InvalidOperationException NoRemote(object? serviceKey) =>
        new($"{Who(serviceKey)} has no Endpoint: its chat client runs the local model (resolve IChatClient or LongCatChatClient).");

    private static InvalidOperationException NoEngine(object? serviceKey, Uri endpoint) =>
        new($"{Who(serviceKey)} answers from the server at '{endpoint}': there is no local LongCatEngine; resolve IChatClient.");

    private static string Who(object? serviceKey) => serviceKey is null ? "AddLongCat" : $"AddKeyedLongCat(\"{serviceKey}\")";

    // The container creates this once per registration and disposes it (and so the engine) with itself.
    private static LongCatEngineProvider Provider(IServiceProvider sp, object? serviceKey)
    {
        var o = Options(sp, serviceKey);
        if (o.Endpoint is { } endpoint) throw NoEngine(serviceKey, endpoint);
        var engine = o.Engine.Logger is null && sp.GetService<ILoggerFactory>() is { } factory
            ? o.Engine with { Logger = factory.CreateLogger(typeof(LongCatEngine).FullName!) }
            : o.Engine;
        return new LongCatEngineProvider(o.ModelPath!, engine);
    }

    // Resolving the engine itself (not the chat client) waits for the load: the container's factories are synchronous.
    private static LongCatEngine Wait(LongCatEngineProvider provider) => provider.GetEngineAsync().AsTask().GetAwaiter().GetResult();
}
