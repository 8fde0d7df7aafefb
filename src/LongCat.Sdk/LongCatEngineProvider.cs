namespace LongCat.Sdk;

/// <summary>
/// One model folder's engine, loaded once and asynchronously when first asked for: what dependency injection and Semantic
/// Kernel registrations hold, so that resolving a chat client never blocks a thread on loading a model. Disposing the provider
/// disposes the engine.
/// </summary>
/// <remarks>
/// Lazy asynchronous loading rather than a hosted warm-up: it works in any container (a console app without a host too),
/// costs nothing for a model that is never used, and never blocks. To load at start-up, await <see cref="GetEngineAsync"/>
/// there. A failed load is not remembered: the next call tries again. Thread-safe.
/// </remarks>
public sealed class LongCatEngineProvider : IAsyncDisposable, IDisposable
{
    private readonly object _gate = new();
    private Task<LongCatEngine>? _loading;
    private bool _disposed;

    /// <summary>A provider for the model in <paramref name="modelPath"/>, loaded with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The path is empty or the options are invalid (the message names the option).</exception>
    public LongCatEngineProvider(string modelPath, LongCatOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        options ??= new LongCatOptions();
        options.Validate();
        ModelPath = NormalizePath(modelPath);
        Options = options;
    }

    /// <summary>The model folder as a full path (trailing separators removed, a linked folder resolved).</summary>
    public string ModelPath { get; }

    /// <summary>The options the engine is loaded with.</summary>
    public LongCatOptions Options { get; }

    /// <summary>A name for the model: its folder name (known without loading it).</summary>
    public string ModelId => Path.GetFileName(ModelPath);

    /// <summary>Whether the engine has finished loading.</summary>
    public bool IsLoaded => _loading is { IsCompletedSuccessfully: true };

    /// <summary>The engine, loading it on the first call; later calls share the load. <paramref name="cancellationToken"/>
    /// stops this caller's wait, not the load others may be waiting for.</summary>
    /// <exception cref="LongCatException">The model could not be loaded (the next call tries again).</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public async ValueTask<LongCatEngine> GetEngineAsync(CancellationToken cancellationToken = default)
    {
        Task<LongCatEngine> loading;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loading is null or { IsFaulted: true } or { IsCanceled: true })
                _loading = LongCatEngine.LoadAsync(ModelPath, Options, cancellationToken: CancellationToken.None);
            loading = _loading;
        }
        return await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The engine if it has loaded, else null (never waits).</summary>
    public LongCatEngine? LoadedEngine => _loading is { IsCompletedSuccessfully: true } done ? done.Result : null;

    /// <summary>Disposes the engine (after its load, if one is in progress).</summary>
    public async ValueTask DisposeAsync()
    {
        Task<LongCatEngine>? loading;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            loading = _loading;
        }
        if (loading is null) return;
        LongCatEngine engine;
        try
        {
            engine = await loading.ConfigureAwait(false);
        }
        catch (Exception) when (!loading.IsCompletedSuccessfully)
        {
            return;                                     // the load failed: there is no engine to dispose
        }
        await engine.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// The spelling-independent form of a model folder's path, by which registrations share one engine: full path, no trailing
    /// separator, a symbolic link to the folder resolved to its target.
    /// </summary>
    public static string NormalizePath(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
        try
        {
            if (new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName));
        }
        catch (IOException)
        {
            // A dangling or looping link: loading will say so; the path stays as given.
        }
        return full;
    }
}
