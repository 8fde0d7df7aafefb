using LongCat.Sdk;
using LongCat.Sdk.Hosting;
using LongCat.Sdk.Remote;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.TextGeneration;

namespace Microsoft.SemanticKernel;

/// <summary>Adds LongCat services to a kernel.</summary>
/// <example>
/// <code>
/// var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion("models/longcat-demo").Build();
/// var answer = await kernel.InvokePromptAsync("What is 2 + 3?");
/// </code>
/// </example>
public static class LongCatKernelBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="LongCatChatCompletionService"/> for the model in <paramref name="modelPath"/>. The engine is loaded,
    /// asynchronously, by the first request (building the kernel does not wait for it) and disposed with the kernel's services;
    /// chat and text generation registered for the same folder share one engine however its path is spelled (relative or full,
    /// with or without a trailing separator, through a link), loaded with the options of the first registration.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="modelPath">The model folder.</param>
    /// <param name="engineOptions">How the engine loads and serves.</param>
    /// <param name="defaults">Generation settings where a request leaves them unset.</param>
    /// <param name="serviceId">The service's key in the kernel (null: the default service).</param>
    public static IKernelBuilder AddLongCatChatCompletion(this IKernelBuilder builder, string modelPath, LongCatOptions? engineOptions = null,
        GenerationOptions? defaults = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        object engineKey = AddEngine(builder.Services, modelPath, engineOptions);
        builder.Services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new LongCatChatCompletionService(sp.GetRequiredKeyedService<LongCatEngineProvider>(engineKey), defaults, sp.GetService<ILoggerFactory>(), sp));
        return builder;
    }

    /// <summary>Adds a <see cref="LongCatChatCompletionService"/> over an engine the caller owns.</summary>
    public static IKernelBuilder AddLongCatChatCompletion(this IKernelBuilder builder, LongCatEngine engine, GenerationOptions? defaults = null,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        builder.Services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new LongCatChatCompletionService(engine, defaults, sp.GetService<ILoggerFactory>(), sp));
        return builder;
    }

    /// <summary>
    /// Adds a <see cref="LongCatChatCompletionService"/> answered by a remote engine: an OpenAI-compatible LongCat server (SGLang,
    /// vLLM, <c>longcat serve</c>) at <paramref name="endpoint"/>, with the same settings, function calling and contents as a
    /// local model's (docs/SERVING.md, "Remote engines").
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="endpoint">The server's base address, e.g. <c>http://cluster:30000/v1</c>.</param>
    /// <param name="apiKey">The server's key, sent as <c>Authorization: Bearer</c> (null: none).</param>
    /// <param name="modelId">The name the server serves the model under (null: none is sent; the server answers with its model).</param>
    /// <param name="defaults">Generation settings where a request leaves them unset.</param>
    /// <param name="serviceId">The service's key in the kernel (null: the default service).</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http or https address (or holds credentials, a query or
    /// a fragment), the key or model id is empty, or a default is out of range; the parameter is named.</exception>
    public static IKernelBuilder AddLongCatChatCompletion(this IKernelBuilder builder, Uri endpoint, string? apiKey = null, string? modelId = null,
        GenerationOptions? defaults = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endpoint);
        RemoteEndpoint.Validate(endpoint, apiKey, modelId, (nameof(endpoint), nameof(apiKey), nameof(modelId)));
        defaults?.Validate();
        builder.Services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new LongCatChatCompletionService(new RemoteChatClient(endpoint, apiKey, modelId, defaults), sp.GetService<ILoggerFactory>(), sp));
        return builder;
    }

    /// <summary>
    /// Adds a <see cref="LongCatChatCompletionService"/> over the engine registered with <c>services.AddLongCat(...)</c>
    /// (or <c>AddKeyedLongCat(engineKey, ...)</c>), so the kernel and the rest of the application share one loaded model; a
    /// registration with an endpoint gives a service answered by that server.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="defaults">Generation settings where a request leaves them unset.</param>
    /// <param name="serviceId">The service's key in the kernel (null: the default service).</param>
    /// <param name="engineKey">The key the engine was registered under (null: <c>AddLongCat</c>'s engine).</param>
    public static IKernelBuilder AddLongCatChatCompletion(this IKernelBuilder builder, GenerationOptions? defaults = null, string? serviceId = null,
        object? engineKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            sp.GetService<IOptionsMonitor<LongCatServiceOptions>>() is { } monitor && monitor.Get(LongCatServiceNames.For(engineKey)) is { Endpoint: { } endpoint } o
                ? new LongCatChatCompletionService(new RemoteChatClient(endpoint, o.ApiKey, o.ModelId, defaults), sp.GetService<ILoggerFactory>(), sp)
                : new LongCatChatCompletionService(RegisteredProvider(sp, engineKey), defaults, sp.GetService<ILoggerFactory>(), sp));
        return builder;
    }

    /// <summary>Adds a <see cref="LongCatTextGenerationService"/> over the engine registered with <c>AddLongCat</c> / <c>AddKeyedLongCat</c>.</summary>
    public static IKernelBuilder AddLongCatTextGeneration(this IKernelBuilder builder, GenerationOptions? defaults = null, string? serviceId = null,
        object? engineKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddKeyedSingleton<ITextGenerationService>(serviceId, (sp, _) =>
            new LongCatTextGenerationService(RegisteredProvider(sp, engineKey), defaults, sp.GetService<ILoggerFactory>()));
        return builder;
    }

    private static LongCatEngineProvider RegisteredProvider(IServiceProvider sp, object? engineKey) =>
        (engineKey is null ? sp.GetService<LongCatEngineProvider>() : sp.GetKeyedService<LongCatEngineProvider>(engineKey))
        ?? throw new InvalidOperationException(engineKey is null
            ? "No LongCatEngine is registered: call services.AddLongCat(o => o.ModelPath = ...) first, or pass a model path."
            : $"No LongCatEngine is registered under the key '{engineKey}': call services.AddKeyedLongCat(\"{engineKey}\", ...) first.");

    /// <summary>Adds a <see cref="LongCatTextGenerationService"/> for the model in <paramref name="modelPath"/> (engine shared as for chat).</summary>
    public static IKernelBuilder AddLongCatTextGeneration(this IKernelBuilder builder, string modelPath, LongCatOptions? engineOptions = null,
        GenerationOptions? defaults = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        object engineKey = AddEngine(builder.Services, modelPath, engineOptions);
        builder.Services.AddKeyedSingleton<ITextGenerationService>(serviceId, (sp, _) =>
            new LongCatTextGenerationService(sp.GetRequiredKeyedService<LongCatEngineProvider>(engineKey), defaults, sp.GetService<ILoggerFactory>()));
        return builder;
    }

    /// <summary>Adds a <see cref="LongCatTextGenerationService"/> over an engine the caller owns.</summary>
    public static IKernelBuilder AddLongCatTextGeneration(this IKernelBuilder builder, LongCatEngine engine, GenerationOptions? defaults = null,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        builder.Services.AddKeyedSingleton<ITextGenerationService>(serviceId, (sp, _) => new LongCatTextGenerationService(engine, defaults, sp.GetService<ILoggerFactory>()));
        return builder;
    }

    // One engine per model folder, keyed by its spelling-independent path; the first registration's options win.
    private static object AddEngine(IServiceCollection services, string modelPath, LongCatOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        options?.Validate();
        string path = LongCatEngineProvider.NormalizePath(modelPath);
        string key = "LongCat.Engine:" + path;
        services.TryAddKeyedSingleton(key, (sp, _) =>
        {
            var o = options ?? new LongCatOptions();
            if (o.Logger is null && sp.GetService<ILoggerFactory>() is { } factory) o = o with { Logger = factory.CreateLogger(typeof(LongCatEngine).FullName!) };
            return new LongCatEngineProvider(path, o);
        });
        return key;
    }
}
