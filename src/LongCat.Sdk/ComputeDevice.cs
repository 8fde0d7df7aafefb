namespace LongCat.Sdk;

/// <summary>Which compute backend runs the model.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA (the ILGPU backend) when ILGPU finds a device, else the CPU.</summary>
    Auto,
    /// <summary>The SIMD CPU backend on all cores.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through ILGPU; <see cref="DeviceUnavailableException"/> when none is available.</summary>
    Cuda,
}
