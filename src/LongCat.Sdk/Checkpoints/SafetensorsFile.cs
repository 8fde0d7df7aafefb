using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// A memory-mapped, validated safetensors file. Tensor bytes are read in place from the mapping;
/// the mapping stays open until the file is disposed.
/// </summary>
/// <remarks>Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the data section.</remarks>
internal sealed unsafe partial class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    private readonly long _dataStart;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr, long dataStart,
        Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePtr;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens, maps and validates a safetensors file.</summary>
    /// <exception cref="InvalidCheckpointException">The file is missing, truncated or its header is malformed.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // The file the path names, through symbolic links (a Hugging Face cache snapshot links every file to a blob): FileInfo.Length
        // of a link is the link's own size. Only a regular file may be mapped: opening a FIFO would block.
        var file = RegularFile.Resolve(path);
        long length = file.Length;
        if (length < 8) throw new InvalidCheckpointException(path, $"file is {length} bytes, too short for the 8-byte header length (truncated?)");

        MemoryMappedFile map;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file.FullName, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidCheckpointException(path, $"cannot be mapped ({e.Message})", e);
        }
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p, 8));
            if (headerLen > (ulong)SafetensorsHeader.MaxHeaderBytes)
                throw new InvalidCheckpointException(path, $"header length {headerLen} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
            if ((long)headerLen > length - 8)
                throw new InvalidCheckpointException(path, $"header length {headerLen} runs past the end of the {length}-byte file (truncated?)");
            long dataStart = 8 + (long)headerLen;
            var (tensors, metadata) = SafetensorsHeader.Parse(new ReadOnlySpan<byte>(p + 8, (int)headerLen), length - dataStart, path);
            return new SafetensorsFile(path, map, view, p, dataStart, tensors, metadata);
        }
        catch
        {
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            map.Dispose();
            throw;
        }
    }

    /// <summary>The tensor named <paramref name="name"/>, or an error naming it and this file.</summary>
    public TensorInfo Get(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new InvalidCheckpointException(Path, $"tensor '{name}' is missing");

    /// <summary>Pointer to a tensor's first byte inside the mapping. Valid until this file is disposed.</summary>
    internal byte* Pointer(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + _dataStart + tensor.Offset;
    }

    /// <summary>
    /// Drops the pages that hold only this tensor's bytes from the process's resident set (Linux <c>madvise(MADV_DONTNEED)</c> on
    /// the read-only mapping; the page cache may keep them, and a later read faults them back in from the file): called once a
    /// weight has been copied or quantized out of the mapping, so the model's resident memory is what it computes with.
    /// </summary>
    internal void Evict(TensorInfo tensor)
    {
        if (!OperatingSystem.IsLinux() || tensor.Length == 0) return;
        long page = Environment.SystemPageSize;
        long start = (long)Pointer(tensor), end = start + tensor.Length;
        long first = (start + page - 1) / page * page, last = end / page * page;    // whole pages inside the tensor only
        if (last > first) _ = madvise((void*)first, (nuint)(last - first), MadvDontNeed);
    }

    private const int MadvDontNeed = 4;

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = false)]
    private static partial int madvise(void* addr, nuint length, int advice);

    /// <summary>A tensor's bytes, read in place.</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo tensor) => new(Pointer(tensor), checked((int)tensor.Length));

    /// <summary>Reads a tensor as float32, converting from F32, BF16 or F16.</summary>
    public float[] ReadFloat32(string name)
    {
        var t = Get(name);
        var result = new float[t.ElementCount];
        WeightFormats.ToFloat32(t.DType, Pointer(t), result, t.Name, Path);
        return result;
    }

    /// <summary>Reads an I32 or I64 tensor as int32.</summary>
    public int[] ReadInt32(string name)
    {
        var t = Get(name);
        var result = new int[t.ElementCount];
        var p = Pointer(t);
        switch (t.DType)
        {
            case DType.I32: new ReadOnlySpan<int>(p, result.Length).CopyTo(result); break;
            case DType.I64:
                for (int i = 0; i < result.Length; i++) result[i] = checked((int)((long*)p)[i]);
                break;
            default: throw new InvalidCheckpointException(Path, $"tensor '{name}': expected an integer dtype, found {t.DType.SafetensorsName()}");
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
