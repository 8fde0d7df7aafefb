using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Creating the backend on a device: CUDA when present, the CPU accelerator for tests, and ComputeDevice selection.
internal sealed partial class IlgpuBackend
{
    /// <summary>
    /// ILGPU compiles kernels with Reflection.Emit when they are first launched: the library stays AOT-analyzable (IsAotCompatible),
    /// the GPU backend needs a JIT. <see cref="ForDevice"/> checks <see cref="RuntimeFeature.IsDynamicCodeSupported"/> first.
    /// </summary>
    private const string DynamicCodeReason = "ILGPU generates kernel code and launchers with Reflection.Emit at run time.";

    /// <summary>
    /// A backend on ILGPU's CPU accelerator, shaped like a CUDA device (warp of <paramref name="warpSize"/>, groups of up to
    /// warpSize × <paramref name="warpsPerGroup"/> threads) so tests run the launch shapes CUDA runs. For tests only: it is slow.
    /// </summary>
    [RequiresDynamicCode(DynamicCodeReason)]
    public static IlgpuBackend CreateCpuEmulator(int warpSize = 32, int warpsPerGroup = 8, int multiprocessors = 2)
    {
        if (warpSize * warpsPerGroup > DeviceMath.EmulatorMaxThreads)
            throw new ArgumentOutOfRangeException(nameof(warpsPerGroup), $"groups of at most {DeviceMath.EmulatorMaxThreads} threads");
        var context = Context.Create(b => b.CPU(new CPUDevice(warpSize, warpsPerGroup, multiprocessors)).EnableAlgorithms());
        try
        {
            return new IlgpuBackend(context, context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>A backend on CUDA device <paramref name="deviceIndex"/>, or null when ILGPU finds no CUDA device (or no driver).</summary>
    [RequiresDynamicCode(DynamicCodeReason)]
    public static IlgpuBackend? TryCreateCuda(int deviceIndex = 0)
    {
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().Optimize(OptimizationLevel.O2).EnableAlgorithms());   // as PtxCompiler: CI checks this PTX
            var devices = context.GetCudaDevices();
            if (deviceIndex < 0 || deviceIndex >= devices.Count)
            {
                context.Dispose();
                return null;
            }
            return new IlgpuBackend(context, context.CreateCudaAccelerator(deviceIndex));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            context?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// The backend for <paramref name="device"/> (Auto and Cuda need run-time code generation: under NativeAOT, Auto is the CPU and
    /// Cuda an error): null for <see cref="ComputeDevice.Cpu"/> (the model creates its CPU backend), a CUDA
    /// backend when ILGPU finds a device, null for <see cref="ComputeDevice.Auto"/> without one.
    /// </summary>
    /// <exception cref="DeviceUnavailableException"><see cref="ComputeDevice.Cuda"/> was requested and there is no CUDA device.</exception>
    public static IComputeBackend? ForDevice(ComputeDevice device) => device switch
    {
        ComputeDevice.Cpu => null,
        ComputeDevice.Auto => RuntimeFeature.IsDynamicCodeSupported ? TryCreateCuda() : null,
        ComputeDevice.Cuda => (RuntimeFeature.IsDynamicCodeSupported ? TryCreateCuda() : null) ?? throw new DeviceUnavailableException(device,
            RuntimeFeature.IsDynamicCodeSupported
                ? "ComputeDevice.Cuda was requested, but ILGPU finds no CUDA device (no NVIDIA driver or no GPU); use ComputeDevice.Cpu or Auto."
                : "ComputeDevice.Cuda was requested, but this process cannot generate code at run time (NativeAOT), which ILGPU needs; use ComputeDevice.Cpu."),
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "unknown compute device"),
    };

    /// <summary>Whether ILGPU finds at least one CUDA device (the driver is loaded and reports a device).</summary>
    public static bool IsCudaAvailable()
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            return context.GetCudaDevices().Count > 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            return false;
        }
    }

}
