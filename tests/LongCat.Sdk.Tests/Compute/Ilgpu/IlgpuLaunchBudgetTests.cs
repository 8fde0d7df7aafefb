using System.Text.Json.Nodes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// Kernel launches per decoder block per decode step, from the backend's launch counter: the same fixture shape with 1 and 2 layers,
/// so the difference is exactly one block. The count must not depend on the routing, the position or the number of tokens
/// (no launch per expert or per token), and it is pinned to the budget docs/GPU.md states.
/// </summary>
[TestClass]
public sealed class IlgpuLaunchBudgetTests
{
    /// <summary>
    /// docs/GPU.md: per block, 2 × 4 (MLA: q_a‖kv_a, q_b + absorb + cache, attention + W_UV, o_proj) + router ∥ MLP0's SwiGLU + MLP0's down
    /// + MLP1's SwiGLU ∥ the experts' GateUp + MLP1's down ⊕ DownCombine; norms run in the prologues and residual adds in the epilogues.
    /// </summary>
    public const int LaunchesPerBlock = 12;

    [TestMethod]
    public void DecodeStep_LaunchesPerDecoderBlock_MatchBudgetAndIgnoreRouting()
    {
        using var gpu = IlgpuTestDevice.Create();
        string root = Path.Combine(Path.GetTempPath(), "longcat-launch-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var perStep = new Dictionary<int, List<long>>();
            foreach (int layers in new[] { 1, 2 })
            {
                string dir = Path.Combine(root, $"l{layers}");
                var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir("tiny-a"), "config.json")))!.AsObject();
                config["num_layers"] = layers;
                Directory.CreateDirectory(root);
                string configPath = Path.Combine(root, $"config{layers}.json");
                File.WriteAllText(configPath, config.ToJsonString());
                RandomCheckpoint.Write(configPath, dir, seed: 5);
                using var model = LongCatModel.Load(dir, new ModelOptions { Backend = gpu, KvBlockSize = 4, LoadMtp = false });
                using var session = model.CreateSession();
                session.Prefill([1, 17]);
                var counts = new List<long>();
                foreach (int token in new[] { 7, 300 })                           // different tokens route to different experts
                {
                    long before = gpu.Launches;
                    session.Decode(token);
                    counts.Add(gpu.Launches - before);
                }
                perStep[layers] = counts;
            }
            foreach (var (layers, counts) in perStep)
                Assert.AreEqual(1, counts.Distinct().Count(), $"{layers} layers: launches per decode step vary: {string.Join(", ", counts)}");
            long perBlock = perStep[2][0] - perStep[1][0];
            Console.WriteLine($"decode step: {perStep[1][0]} launches with 1 block, {perStep[2][0]} with 2: {perBlock} per block");
            Assert.AreEqual(LaunchesPerBlock, perBlock, "kernel launches per decoder block per decode step");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
