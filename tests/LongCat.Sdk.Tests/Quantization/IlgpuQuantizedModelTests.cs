using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;
using LongCat.Sdk.Tests.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Quantization;

/// <summary>
/// Quantized models on the ILGPU backend (ILGPU's CPU accelerator, or CUDA with LONGCAT_TEST_CUDA=1): each preset quantizes to the
/// same codes on both backends, so the ILGPU logits match the CPU backend's to F32 summation order. One device for the class (each
/// new one compiles its kernels again).
/// </summary>
[TestClass]
internal sealed class IlgpuQuantizedModelTests
{
    private static readonly int[] Prompt = [5, 17, 33, 2, 100, 201, 7, 64, 300, 12, 9, 450];
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    /// <summary>
    /// Prefill logits (at every position, or the last), then the logits of <paramref name="steps"/> greedy decode steps (the fused
    /// decode ops).
    /// </summary>
    private static float[] PrefillAndDecode(string dir, ModelOptions options, int[] prompt, bool allLogits, int steps)
    {
        using var model = LongCatModel.Load(dir, options with { KvCacheBlocks = 8, KvBlockSize = 4 });
        using var session = model.CreateSession();
        var all = new List<float>(session.Prefill(prompt, allLogits));
        var last = all.GetRange(all.Count - model.Config.VocabSize, model.Config.VocabSize).ToArray();
        for (int s = 0; s < steps; s++)
        {
            last = session.Decode(Compare.ArgMax(last));
            all.AddRange(last);
        }
        return [.. all];
    }

    [TestMethod]
    [DataRow("tiny-a", WeightQuantization.Q8)]
    [DataRow("tiny-a", WeightQuantization.Q4Experts)]
    [DataRow("tiny-a", WeightQuantization.Q4)]
    [DataRow("demo", WeightQuantization.Q8)]
    [DataRow("demo", WeightQuantization.Q4Experts)]
    public void Load_QuantizedOnIlgpuBackend_LogitsMatchCpuBackend(string model, WeightQuantization preset)
    {
        // Arrange: the same preset on both backends quantizes to the same codes; the ILGPU backend (CPU accelerator) dequantizes them
        // in registers and sums in F32, so only the order of the sums differs.
        string? dir = model == "demo" ? TestModels.DemoModel() : Fixtures.Dir(model);
        if (dir is null) Assert.Inconclusive("this checkout has no demo model (models/longcat-demo)");
        using var cpu = new CpuBackend(WeightResidency.Mapped, threads: 2) { Int8Activations = false };   // the GPU keeps F32 activations

        // Act: the demo model (8 blocks, 4096-token vocabulary) takes minutes on the emulator at tiny-a's workload: a shorter prompt
        // (still the tiled prefill kernels) and its last logits.
        bool demo = model == "demo";
        int[] prompt = demo ? Prompt[..6] : Prompt;
        var expected = PrefillAndDecode(dir, new ModelOptions { Backend = cpu, Quantization = preset }, prompt, !demo, steps: demo ? 2 : 3);
        var actual = PrefillAndDecode(dir, new ModelOptions { Backend = _gpu, Quantization = preset }, prompt, !demo, steps: demo ? 2 : 3);

        // Assert: logits within 2e-3 (they span about ±10), the same greedy token at every position and step.
        Compare.Close(expected, actual, 2e-3f, $"{model} {preset} ILGPU logits");
        int vocab = LongCatConfig.Load(Path.Combine(dir, "config.json")).VocabSize;
        for (int i = 0; i < expected.Length / vocab; i++)
            Assert.AreEqual(Compare.ArgMax(expected.AsSpan(i * vocab, vocab)), Compare.ArgMax(actual.AsSpan(i * vocab, vocab)), $"{model} {preset} row {i}");
    }

    [TestMethod]
    [DataRow(WeightQuantization.Q8)]
    [DataRow(WeightQuantization.Q4Experts)]
    public void Load_QuantizedFolderOnIlgpuBackend_GivesTheLogitsOfQuantizingAtLoad(WeightQuantization preset)
    {
        // Arrange: a folder written by `longcat quantize` (I8/U8 values beside F16 _scale tensors: IComputeBackend.LoadWeight with a
        // block format) against the same preset applied at load (AllocateWeight and Upload), both on the ILGPU backend.
        using var output = new TempDir();
        string quantized = Path.Combine(output.Path, "q");
        CheckpointQuantizer.Run(Fixtures.Dir("tiny-a"), quantized, preset, shardBytes: 64 << 10);

        // Act
        var atLoad = PrefillAndDecode(Fixtures.Dir("tiny-a"), new ModelOptions { Backend = _gpu, Quantization = preset }, Prompt[..6], false, steps: 1);
        var fromFolder = PrefillAndDecode(quantized, new ModelOptions { Backend = _gpu }, Prompt[..6], false, steps: 1);

        // Assert: the same codes and scales through either path, the same kernels: identical logits.
        CollectionAssert.AreEqual(atLoad, fromFolder);
    }
}
