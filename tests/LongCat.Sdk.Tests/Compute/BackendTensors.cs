using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>Host values in and out of any backend's tensors, for op tests.</summary>
internal static class BackendTensors
{
    public static DeviceTensor Upload(IComputeBackend b, float[] values, params int[] shape)
    {
        var t = b.Allocate(DType.F32, shape);
        b.Upload<float>(t, values);
        return t;
    }

    public static DeviceTensor UploadInts(IComputeBackend b, int[] values, params int[] shape)
    {
        var t = b.Allocate(DType.I32, shape);
        b.Upload<int>(t, values);
        return t;
    }

    public static float[] Download(IComputeBackend b, DeviceTensor t)
    {
        var r = new float[t.ElementCount];
        b.Download<float>(t, r);
        return r;
    }
}
