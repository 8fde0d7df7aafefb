using ILGPU;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// Kernels cannot throw: an index check that fails records (code, value) in a two-int status buffer (first failure wins) and the
/// kernel skips the element. The backend reads the buffer at its next synchronization point and throws a typed exception.
/// </summary>
internal static class DeviceStatus
{
    public const int Ok = 0, TokenId = 1, GatherRow = 2, CacheSlot = 3, BlockId = 4;

    public static void Report(ArrayView<int> status, int code, int value)
    {
        if (Atomic.CompareExchange(ref status[0], 0, code) == 0) status[1] = value;
    }
}
