using Microsoft.Extensions.DependencyInjection;

namespace LongCat.Sdk.Server;

/// <summary>
/// The engine the container holds: <c>AddLongCat</c>'s <see cref="LongCatEngineProvider"/> (loaded on first use, awaited without
/// blocking a thread), else a registered <see cref="LongCatEngine"/>. The container owns it; the server never disposes it.
/// </summary>
internal sealed class EngineSource
{
    private readonly LongCatEngineProvider? _provider;
    private readonly Lazy<LongCatEngine>? _engine;

    /// <exception cref="InvalidOperationException">Neither is registered.</exception>
    public EngineSource(IServiceProvider services)
    {
        _provider = services.GetService<LongCatEngineProvider>();
        if (_provider is not null) return;
        if (services.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(LongCatEngine)))
            throw new InvalidOperationException(
                "The LongCat server found no engine in the container: register one with services.AddLongCat(o => o.ModelPath = ...) " +
                "or services.AddSingleton(engine).");
        _engine = new Lazy<LongCatEngine>(services.GetRequiredService<LongCatEngine>);
    }

    /// <summary>The model folder's name (known without loading it when the engine comes from a provider).</summary>
    public string ModelId => _provider?.ModelId ?? _engine!.Value.ModelId;

    /// <summary>The engine when it has loaded, else null (never waits for a load).</summary>
    public LongCatEngine? Loaded => _provider is not null ? _provider.LoadedEngine : _engine!.Value;

    /// <summary>The engine, waiting for its load.</summary>
    public ValueTask<LongCatEngine> GetAsync(CancellationToken cancellationToken) =>
        _provider?.GetEngineAsync(cancellationToken) ?? ValueTask.FromResult(_engine!.Value);
}
