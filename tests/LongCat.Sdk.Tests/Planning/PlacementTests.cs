using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Planning;

/// <summary>
/// The placement the memory plan states: tables read by rows (the token embedding, the N-gram tables) stay mapped even when
/// the CPU backend copies every other weight, and the model's output does not depend on it.
/// </summary>
[TestClass]
public sealed class PlacementTests
{
    [TestMethod]
    public void Load_Copied_LeavesTheEmbeddingAndNgramTablesMapped_AndCopiesTheRest()
    {
        // Arrange
        string dir = Fixtures.Dir("tiny-lite-a");
        using var index = CheckpointIndex.Open(dir);
        var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
        long tables = index.Get(WeightNames.Embedding).Info.Length
            + Enumerable.Range(0, config.NgramEmbedderCount).Sum(i => index.Get(WeightNames.NgramEmbedder(i)).Info.Length);
        using var copied = new CpuBackend(WeightResidency.Copied, threads: 1);
        using var mapped = new CpuBackend(WeightResidency.Mapped, threads: 1);

        // Act
        using var a = LongCatModel.Load(dir, new ModelOptions { Backend = copied, KvCacheBlocks = 4 });
        using var b = LongCatModel.Load(dir, new ModelOptions { Backend = mapped, KvCacheBlocks = 4 });

        // Assert: the copy holds every weight but the tables; nothing is copied when mapped; the same logits either way.
        Assert.IsTrue(config.NgramEmbedderCount > 0 && !config.TieWordEmbeddings);
        Assert.AreEqual(tables, a.RowTableBytes);
        Assert.AreEqual(a.WeightBytes - tables, copied.WeightMemoryBytes);
        Assert.AreEqual(0, mapped.WeightMemoryBytes);
        int[] prompt = [5, 17, 33, 2, 100, 201, 7];
        using var sa = a.CreateSession();
        using var sb = b.CreateSession();
        CollectionAssert.AreEqual(sb.Prefill(prompt), sa.Prefill(prompt));
    }
}

/// <summary><see cref="LongCatOptions.MemoryBudget"/>: a load that does not fit fails before reading weights, naming what would fit.</summary>
[TestClass]
public sealed class MemoryBudgetTests
{
    [TestMethod]
    public async Task LoadAsync_OverBudget_ThrowsTheTypedErrorNamingTheLargestGroupsBeforeAnyWeightLoads()
    {
        // Arrange: a budget far below what tiny-a needs (its KV cache default alone is 512 MiB).
        var options = new LongCatOptions { Device = ComputeDevice.Cpu, MemoryBudget = 64L << 20 };
        var stages = new List<string>();

        // Act
        var e = await Assert.ThrowsExactlyAsync<MemoryBudgetExceededException>(() =>
            LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), options, new SynchronousProgress<LoadProgress>(p => stages.Add(p.Stage))));

        // Assert
        Assert.AreEqual(64L << 20, e.MemoryBudget);
        Assert.IsTrue(e.RequiredBytes > e.MemoryBudget, $"{e.RequiredBytes}");
        StringAssert.Contains(e.Message, "Largest: ");
        StringAssert.Contains(e.Message, "Try Quantization = Q4Experts");
        StringAssert.Contains(e.Message, "KvCacheMemory");
        Assert.IsFalse(stages.Contains("weights"), $"stages reported: {string.Join(", ", stages)}");
    }

    [TestMethod]
    public async Task LoadAsync_WithinBudget_Loads()
    {
        var estimate = LongCatEngine.EstimateMemory(Fixtures.Dir("tiny-a"));
        var options = new LongCatOptions { Device = ComputeDevice.Cpu, MemoryBudget = estimate.TotalBytes + (1L << 30) };

        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), options);

        Assert.IsNotNull(engine);
    }

    [TestMethod]
    public void Validate_NonPositiveBudget_NamesTheOption() =>
        Assert.AreEqual("MemoryBudget", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LongCatOptions { MemoryBudget = 0 }.Validate()).ParamName);
}

/// <summary>Load progress: monotonic, ending at 100%, each tensor's phase (mapping, copying, quantizing) as it loaded.</summary>
[TestClass]
public sealed class LoadProgressTests
{
    [TestMethod]
    [DataRow(WeightResidency.Copied, WeightQuantization.Q8)]
    [DataRow(WeightResidency.Mapped, WeightQuantization.None)]
    public void Load_Progress_IsMonotonicEndsAtOneAndNamesEachPhase(WeightResidency residency, WeightQuantization preset)
    {
        var reports = new List<LoadProgress>();
        using var backend = new CpuBackend(residency, threads: 1);

        using var model = LongCatModel.Load(Fixtures.Dir("tiny-lite-a"), new ModelOptions { Backend = backend, Quantization = preset, KvCacheBlocks = 4 },
            new SynchronousProgress<LoadProgress>(reports.Add), CancellationToken.None);

        var weights = reports.Where(r => r.Stage == "weights").ToList();
        Assert.IsTrue(weights.Count > 10, "a report per tensor");
        for (int i = 1; i < weights.Count; i++)
        {
            Assert.IsTrue(weights[i].BytesLoaded >= weights[i - 1].BytesLoaded, $"bytes went back at report {i}");
            Assert.AreEqual(weights[i - 1].Tensors + 1, weights[i].Tensors, $"tensor count at report {i}");
        }
        Assert.AreEqual(1.0, weights[^1].Fraction, 1e-12);
        var phases = weights.Select(w => w.Phase).ToHashSet();
        Assert.IsTrue(phases.Contains(LoadProgress.Mapping), "the row tables are mapped in both residencies");
        if (preset == WeightQuantization.None) CollectionAssert.AreEquivalent(new[] { LoadProgress.Mapping }, phases.ToArray());
        else
        {
            Assert.IsTrue(phases.Contains(LoadProgress.Quantizing));
            Assert.IsTrue(phases.Contains(LoadProgress.Copying), "norms and the router are copied as stored");
        }
    }
}
