namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// Intermediate rows the fused ops need on the CPU (slot 0: normed inputs; 1: MLA's q; 2: a product's x in even/odd order;
/// 3 and 4: a product's x quantized for Q8 and Q4 weights):
/// a few F32 buffers that grow to the largest step and are reused. The backend is driven from one thread, so each slot has one
/// user at a time.
/// </summary>
internal sealed class CpuScratch : IDisposable
{
    public const int Slots = 5;
    private readonly CpuTensor?[] _buffers = new CpuTensor?[Slots];

    /// <summary>A [rows, columns] F32 view of slot <paramref name="slot"/>; its contents are whatever the slot's last user left.</summary>
    public CpuTensor Rows(int slot, int rows, int columns)
    {
        long n = (long)rows * columns;
        var b = _buffers[slot];
        if (b is null || b.ElementCount < n)
        {
            b?.Dispose();
            b = _buffers[slot] = CpuTensor.Allocate(DType.F32, [checked((int)Math.Max(n, 1024))]);
        }
        unsafe
        {
            return new CpuTensor(DType.F32, [rows, columns], b.Data, owned: false);
        }
    }

    /// <summary><paramref name="bytes"/> bytes of slot <paramref name="slot"/> (64-byte aligned), contents as its last user left them.</summary>
    public unsafe byte* Bytes(int slot, long bytes) => Rows(slot, 1, checked((int)((bytes + 3) / 4))).Data;

    public void Dispose()
    {
        for (int i = 0; i < Slots; i++)
        {
            _buffers[i]?.Dispose();
            _buffers[i] = null;
        }
    }
}
