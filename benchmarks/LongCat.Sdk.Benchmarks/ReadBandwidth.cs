using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The memory-read baseline: sums <c>bytes</c> bytes with all cores, walking a buffer of <c>span</c> bytes (far larger than the caches)
/// so every call reads from DRAM, the way decode reads weights.
/// </summary>
internal sealed unsafe class ReadBandwidth : IDisposable
{
    private readonly LongCat.Sdk.Compute.Cpu.HugePageArena _arena = new();
    private readonly byte* _buffer;
    private readonly long _span, _bytes;
    private long _cursor;

    public ReadBandwidth(long bytes, long span)
    {
        _bytes = bytes & ~4095L;
        _span = Math.Max(span, _bytes * 2) & ~4095L;
        _buffer = _arena.Allocate(_span);   // the same transparent-huge-page memory the engine copies weights into
        for (long i = 0; i < _span; i += 4096) _buffer[i] = (byte)i;   // touch every page
        new Span<byte>(_buffer, (int)Math.Min(_span, int.MaxValue)).Fill(1);
        Console.WriteLine($"// huge-page backed memory with the baseline buffer: {LongCat.Sdk.Compute.Cpu.HugePageArena.ProcessHugePageBytes() >> 20} MiB");
    }

    public double Run()
    {
        long start = _cursor;
        _cursor = (_cursor + _bytes) % (_span - _bytes);
        int threads = Environment.ProcessorCount;
        long per = (_bytes / threads) & ~63L;
        var sums = new double[threads];
        Parallel.For(0, threads, t => sums[t] = Sum((float*)(_buffer + start + t * per), per / 4));
        return sums.Sum();
    }

    // Eight independent accumulators of the widest vector: the loop is bound by memory, not by add latency.
    private static double Sum(float* p, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (; i + 128 <= n; i += 128)
            {
                a0 += Vector512.Load(p + i); a1 += Vector512.Load(p + i + 16); a2 += Vector512.Load(p + i + 32); a3 += Vector512.Load(p + i + 48);
                a4 += Vector512.Load(p + i + 64); a5 += Vector512.Load(p + i + 80); a6 += Vector512.Load(p + i + 96); a7 += Vector512.Load(p + i + 112);
            }
            return Vector512.Sum((a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7));
        }
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (; i + 64 <= n; i += 64)
        {
            b0 += Vector256.Load(p + i); b1 += Vector256.Load(p + i + 8); b2 += Vector256.Load(p + i + 16); b3 += Vector256.Load(p + i + 24);
            b4 += Vector256.Load(p + i + 32); b5 += Vector256.Load(p + i + 40); b6 += Vector256.Load(p + i + 48); b7 += Vector256.Load(p + i + 56);
        }
        return Vector256.Sum((b0 + b1) + (b2 + b3) + (b4 + b5) + (b6 + b7));
    }

    public void Dispose() => _arena.Dispose();
}
