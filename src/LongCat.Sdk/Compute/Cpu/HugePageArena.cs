using System.Runtime.InteropServices;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// Bump allocator over large 2 MiB-aligned blocks advised for transparent huge pages (Linux <c>madvise(MADV_HUGEPAGE)</c>),
/// for weights copied out of the mapped files. Freed all at once.
/// </summary>
internal sealed unsafe partial class HugePageArena : IDisposable
{
    private const nuint HugePage = 2 << 20;
    private const nuint MinBlock = 256 << 20;
    private const int MadvHugePage = 14;
    private readonly List<(nint Ptr, nuint Size)> _blocks = [];
    private byte* _cursor;
    private nuint _left;

    /// <summary>Bytes reserved from the OS.</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>Bytes handed out (as asked for, before alignment).</summary>
    public long UsedBytes { get; private set; }

    public byte* Allocate(long bytes)
    {
        nuint size = (nuint)((bytes + 63) & ~63L);
        if (size > _left)
        {
            nuint block = Math.Max(MinBlock, (size + HugePage - 1) & ~(HugePage - 1));
            var p = (byte*)NativeMemory.AlignedAlloc(block, HugePage);
            if (OperatingSystem.IsLinux()) _ = madvise(p, block, MadvHugePage); // advisory: failure only costs speed
            _blocks.Add(((nint)p, block));
            ReservedBytes += (long)block;
            _cursor = p;
            _left = block;
        }
        byte* result = _cursor;
        UsedBytes += bytes;
        _cursor += size;
        _left -= size;
        return result;
    }

    /// <summary>Bytes of this process's anonymous memory backed by huge pages (Linux; 0 elsewhere): shows whether THP took.</summary>
    public static long ProcessHugePageBytes()
    {
        const string file = "/proc/self/smaps_rollup";
        if (!File.Exists(file)) return 0;
        foreach (var line in File.ReadLines(file))
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int madvise(void* addr, nuint length, int advice);

    public void Dispose()
    {
        foreach (var (p, _) in _blocks) NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
        _left = 0;
    }
}
