using System.Runtime.InteropServices;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>A tensor in host memory: owned (aligned native allocation), borrowed (a view, a mapped or arena weight).</summary>
internal sealed unsafe class CpuTensor : DeviceTensor
{
    private void* _owned;

    public CpuTensor(DType dtype, int[] shape, byte* data, bool owned, string? name = null) : base(dtype, shape, name)
    {
        Data = data;
        if (owned) _owned = data;
    }

    /// <summary>First byte of the elements.</summary>
    public byte* Data { get; }

    public float* F32 => (float*)Data;
    public int* I32 => (int*)Data;

    /// <summary>Pointer to row <paramref name="row"/> of a 2-D F32 tensor.</summary>
    public float* RowF32(int row) => (float*)Data + (long)row * Columns;

    /// <summary>
    /// LONGCAT_DEBUG_CANARY=1 (a diagnostic for tests): 256 guard bytes after every allocation, checked on dispose, and freed memory
    /// poisoned and held in a quarantine, checked when the backend is disposed and when it leaves the quarantine; an overrun or a
    /// use after free throws there.
    /// </summary>
    internal static readonly bool Canary = Environment.GetEnvironmentVariable("LONGCAT_DEBUG_CANARY") == "1";
    private const int Guard = 256;

    /// <summary>Freed bytes the canary holds back before it returns the oldest to the allocator (a use after free is caught while
    /// the memory is in quarantine; a bound, because a test run that loads many engines would otherwise hold every one of them).</summary>
    private const long QuarantineBytes = 1L << 30;
    private static readonly Queue<(nint Ptr, nuint Bytes, string What)> Freed = [];
    private static long _quarantined;
    private nuint _bytes;
    private string? _origin;

    public static CpuTensor Allocate(DType dtype, int[] shape, bool clear = true)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        nuint bytes = (nuint)Math.Max(64, dtype.ByteCount(n));
        var p = (byte*)NativeMemory.AlignedAlloc(bytes + (Canary ? (nuint)Guard : 0), 64);
        if (clear || Canary) NativeMemory.Clear(p, bytes);
        if (Canary) new Span<byte>(p + bytes, Guard).Fill(0xCD);
        return new CpuTensor(dtype, shape, p, owned: true) { _bytes = bytes, _origin = Canary ? Environment.StackTrace : null };
    }

    /// <summary>In canary mode: throws if any freed tensor still in quarantine was written after its release.</summary>
    internal static void CheckFreed()
    {
        lock (Freed)
            foreach (var (p, n, what) in Freed) CheckPoison(p, n, what);
    }

    private static void CheckPoison(nint p, nuint bytes, string what)
    {
        for (nuint offset = 0; offset < bytes; offset += int.MaxValue / 2)
        {
            int n = (int)Math.Min(bytes - offset, int.MaxValue / 2);
            if (new ReadOnlySpan<byte>((byte*)p + offset, n).IndexOfAnyExcept((byte)0xDD) >= 0)
                throw new InvalidOperationException("Use after free: " + what);
        }
    }

    // Poisons a freed block and quarantines it; the oldest blocks past the bound are checked and returned.
    private static void Quarantine(byte* p, nuint bytes, string what)
    {
        NativeMemory.Fill(p, bytes, 0xDD);
        lock (Freed)
        {
            Freed.Enqueue(((nint)p, bytes, what));
            _quarantined += (long)bytes;
            while (_quarantined > QuarantineBytes && Freed.Count > 1)
            {
                var (old, n, oldWhat) = Freed.Dequeue();
                _quarantined -= (long)n;
                CheckPoison(old, n, oldWhat);
                NativeMemory.AlignedFree((void*)old);
            }
        }
    }

    public override DeviceTensor SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) outside [0, {Rows})");
        var shape = (int[])Shape.Clone();
        if (shape.Length == 0) throw new InvalidOperationException("cannot slice a scalar");
        if (shape.Length == 1)
        {
            if (start != 0 || count != 1) throw new ArgumentOutOfRangeException(nameof(count), "a vector has one row");
            return new CpuTensor(DType, shape, Data, owned: false, Name);
        }
        shape[0] = count;
        return new CpuTensor(DType, shape, Data + start * DType.ByteCount(Columns), owned: false, Name)
        {
            // A block-quantized weight's rows keep their scales (and zeros); an FP8 weight's 128-row blocks cannot be sliced.
            BlockScales = DType.IsBlockQuantized() ? BlockScales?.SliceRows(start, count) : BlockScales is null ? null
                : throw new NotSupportedException($"{this}: rows of a weight with 128×128 block scales cannot be sliced."),
            Zeros = Zeros?.SliceRows(start, count),
            GroupSize = GroupSize,
        };
    }

    public override void Dispose()
    {
        if (_owned == null) return;
        if (Canary)
        {
            if (new ReadOnlySpan<byte>((byte*)_owned + _bytes, Guard).IndexOfAnyExcept((byte)0xCD) >= 0)
                throw new InvalidOperationException($"Write past the end of {this}, allocated at {_origin}");
            Quarantine((byte*)_owned, _bytes, $"{this} allocated at {_origin}\nfreed at {Environment.StackTrace}");
            _owned = null;
            return;
        }
        NativeMemory.AlignedFree(_owned);
        _owned = null;
    }
}
