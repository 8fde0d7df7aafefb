namespace LongCat.Sdk;

/// <summary>Which compute backend runs the model.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when a GPU backend is available and finds a device, else the CPU.</summary>
    Auto,
    /// <summary>The SIMD CPU backend on all cores.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through ILGPU; an error when none is available.</summary>
    Cuda,
}
