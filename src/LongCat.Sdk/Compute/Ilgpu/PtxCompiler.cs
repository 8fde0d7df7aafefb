using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>
/// Compiles the kernels to PTX with ILGPU's PTX backend, offline (no GPU, no driver): the same compiler the CUDA accelerator uses,
/// at the same optimization level (O2), targeting PTX ISA 7.8 so that ptxas from CUDA 11.8 can assemble the result.
/// </summary>
internal sealed class PtxCompiler : IDisposable
{
    private readonly Context _context = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());

    /// <summary>The architectures CI assembles for.</summary>
    public static readonly CudaArchitecture[] Architectures = [CudaArchitecture.SM_80, CudaArchitecture.SM_90];

    /// <summary>"sm_80" for SM_80.</summary>
    public static string ArchName(CudaArchitecture arch) => $"sm_{arch.Major}{arch.Minor}";

    /// <summary>The PTX text of <paramref name="kernel"/> for <paramref name="arch"/>.</summary>
    public string Compile(KernelEntry kernel, CudaArchitecture arch)
    {
        using var backend = new PTXBackend(_context, new CudaCapabilityContext(arch), arch, CudaInstructionSet.ISA_78, null);
        var compiled = backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method), default);
        return ((PTXCompiledKernel)compiled).PTXAssembly;
    }

    public void Dispose() => _context.Dispose();
}
