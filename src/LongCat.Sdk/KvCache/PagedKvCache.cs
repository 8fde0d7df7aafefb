using LongCat.Sdk.Compute;

namespace LongCat.Sdk.KvCache;

/// <summary>
/// The MLA latent cache's memory: one device tensor per attention sublayer, [blocks × blockSize, L + R] F32 (L scaled latent
/// values and R RoPE'd key values per token). It holds no ownership of pages: which sequence owns which block is a
/// <see cref="KvCacheManager"/>'s business, and the forward pass only writes the slots its batch names.
/// </summary>
internal sealed class PagedKvCache : IDisposable
{
    private readonly DeviceTensor[] _layers;

    /// <summary>Allocates <paramref name="blockCount"/> blocks for each of <paramref name="sublayers"/> attention sublayers.</summary>
    public PagedKvCache(IComputeBackend backend, int sublayers, int width, int blockCount, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        BlockCount = blockCount;
        BlockSize = blockSize;
        Width = width;
        _layers = new DeviceTensor[sublayers];
        for (int i = 0; i < sublayers; i++) _layers[i] = backend.Allocate(DType.F32, blockCount * blockSize, width);
    }

    /// <summary>Pages in the cache.</summary>
    public int BlockCount { get; }

    /// <summary>Tokens per page.</summary>
    public int BlockSize { get; }

    /// <summary>Values per token per sublayer (576 in the released models).</summary>
    public int Width { get; }

    /// <summary>The cache tensor of attention sublayer <paramref name="index"/> (= 2·block + i).</summary>
    public DeviceTensor Layer(int index) => _layers[index];

    /// <summary>Bytes one block takes across all sublayers.</summary>
    public static long BytesPerBlock(int sublayers, int width, int blockSize) => (long)sublayers * width * blockSize * sizeof(float);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _layers) t.Dispose();
    }
}
