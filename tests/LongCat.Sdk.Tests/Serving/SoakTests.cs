using System.Collections.Concurrent;
using LongCat.Sdk.Serving;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>
/// The engine under an adversarial load (bounded to about a minute): 500 requests, at most 32 in flight, random prompts and
/// options, 30% cancelled at random moments, 10% invalid, statistics read from another thread throughout.
/// </summary>
[TestClass]
public sealed class SoakTests
{
    private enum Fate { Runs, Cancelled, Invalid }

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public async Task FiveHundredRandomRequests_EveryOneEndsProperly_AndEveryBlockIsFreeAfterwards()
    {
        await using var engine = TestModels.RequireDemo(await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = 16, KvCacheBlocks = 48 }));
        var random = new Random(500);
        var plan = Enumerable.Range(0, 500).Select(_ => random.NextDouble() switch { < 0.10 => Fate.Invalid, < 0.40 => Fate.Cancelled, _ => Fate.Runs })
            .Select((fate, i) => (Fate: fate, Seed: 1000 + i)).ToArray();
        using var inFlight = new SemaphoreSlim(32);
        var failures = new ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();
        long reads = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                try
                {
                    int free = engine.FreeKvBlocks;
                    var stats = engine.Statistics;
                    if (free < 0 || free > engine.TotalKvBlocks || stats.Steps < 0) failures.Enqueue($"statistics read {free} free blocks, {stats.Steps} steps");
                }
                catch (Exception e)
                {
                    failures.Enqueue($"reading statistics threw {e.GetType().Name}: {e.Message}");
                }
                Interlocked.Increment(ref reads);
            }
        });

        var tasks = plan.Select(async p =>
        {
            await inFlight.WaitAsync();
            try
            {
                string? problem = p.Fate == Fate.Invalid ? Invalid(engine, p.Seed) : await Valid(engine, p.Seed, p.Fate == Fate.Cancelled);
                if (problem is not null) failures.Enqueue($"request {p.Seed} ({p.Fate}): {problem}");
            }
            catch (Exception e)
            {
                failures.Enqueue($"request {p.Seed} ({p.Fate}) threw {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                inFlight.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
        done.Cancel();
        await reader;

        Assert.AreEqual(0, failures.Count, string.Join("\n", failures.Take(20)));
        Assert.IsTrue(Interlocked.Read(ref reads) > 1000, $"{reads} statistics reads");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks, "every KV block is free at the end");
        Assert.IsTrue(engine.Statistics.Preemptions > 0 && engine.Statistics.DraftedTokens > 0, "the load preempted and speculated");
    }

    private static readonly string[] Texts = ["In the beginning God", "Hello!", "What time is it?", "And the LORD spake unto Moses", "Who are you?", "Amen."];

    private static GenerationOptions RandomOptions(Random r) => new()
    {
        Temperature = r.Next(3) == 0 ? 0 : (float)(0.3 + r.NextDouble()),
        TopK = r.Next(3) == 0 ? r.Next(1, 50) : 0,
        TopP = r.Next(3) == 0 ? 0.9f : 1f,
        RepetitionPenalty = r.Next(4) == 0 ? 1.1f : 1f,
        Seed = r.Next(2) == 0 ? r.Next() : null,
        MaxTokens = r.Next(1, 40),
        IgnoreEos = r.Next(2) == 0,
        DraftTokens = r.Next(4) == 0 ? null : r.Next(0, 4),
        StopSequences = r.Next(5) == 0 ? ["\n", "God"] : [],
    };

    // A request that runs (and maybe is cancelled): it must end with a finish reason and usage; one cancelled ends as
    // Cancelled within one engine step of the cancellation (or had already finished).
    private static async Task<string?> Valid(LongCatEngine engine, int seed, bool cancel)
    {
        var r = new Random(seed);
        var options = RandomOptions(r);
        IAsyncEnumerable<GenerationUpdate> stream;
        using var cts = new CancellationTokenSource();
        int mode = r.Next(4);
        if (mode == 0)
        {
            var tools = new[] { ToolDefinition.Create("clock", "The time.", "{}"), ToolDefinition.Create("add", "Adds.", """{"type":"object","properties":{"a":{"type":"number"}},"required":["a"]}""") };
            var choice = r.Next(3) switch { 0 => ToolChoice.Required(), 1 => ToolChoice.Required("add"), _ => ToolChoice.Auto };
            stream = engine.ChatAsync([LongCatMessage.User(Texts[r.Next(Texts.Length)])], options with { Tools = tools, ToolChoice = choice }, cts.Token);
        }
        else if (mode == 1) stream = engine.ChatAsync([LongCatMessage.User(Texts[r.Next(Texts.Length)])], options, cts.Token);
        else if (mode == 2) stream = engine.GenerateAsync(Texts[r.Next(Texts.Length)], options, cts.Token);
        else stream = engine.GenerateAsync(Enumerable.Range(0, r.Next(1, 60)).Select(_ => r.Next(4, 4000)).ToArray(), options, cts.Token);

        int cancelAfter = cancel ? r.Next(0, 8) : -1;           // updates read before cancelling (0: before the first)
        bool breakOut = cancel && r.Next(3) == 0;               // or stop reading instead of cancelling the token
        if (cancelAfter == 0) cts.Cancel();
        GenerationUpdate? last = null;
        int updates = 0;
        await foreach (var u in stream)
        {
            last = u;
            if (++updates == cancelAfter)
            {
                if (breakOut) break;
                cts.Cancel();
            }
        }
        var sequence = ((GenerationStream)stream).Sequence;
        if (breakOut && updates == cancelAfter && last!.FinishReason is null)
        {
            // The reader left: the loop ends the sequence at its next step.
            for (int i = 0; i < 1000 && sequence.Status != SequenceStatus.Finished; i++) await Task.Delay(5);
            if (sequence.Status != SequenceStatus.Finished) return "a stream the reader left was never ended";
            return sequence.CancelledAtStep - sequence.CancelRequestedAtStep > 1
                ? $"left at step {sequence.CancelRequestedAtStep}, ended at step {sequence.CancelledAtStep}" : null;
        }
        if (last?.FinishReason is not { } reason) return "the stream ended without a finish reason";
        if (last.Usage is null) return "the last update has no usage";
        if (!cancel && reason == FinishReason.Cancelled) return "ended as cancelled though nobody cancelled it";
        if (reason == FinishReason.Cancelled && sequence.CancelledAtStep - sequence.CancelRequestedAtStep > 1)
            return $"cancelled at step {sequence.CancelRequestedAtStep}, ended at step {sequence.CancelledAtStep}";
        return null;
    }

    // A request with one invalid part: the call itself must throw a typed exception (ArgumentException or LongCatException).
    private static string? Invalid(LongCatEngine engine, int seed)
    {
        var r = new Random(seed);
        var ok = RandomOptions(r);
        Action call = r.Next(10) switch
        {
            0 => () => engine.GenerateAsync("Hi", ok with { Temperature = -1 }),
            1 => () => engine.GenerateAsync("Hi", ok with { TopP = 0 }),
            2 => () => engine.GenerateAsync("Hi", ok with { MaxTokens = 0 }),
            3 => () => engine.GenerateAsync("Hi", ok with { StopSequences = null! }),
            4 => () => engine.GenerateAsync([1, 2, engine.Config.VocabSize], ok),
            5 => () => engine.GenerateAsync(Array.Empty<int>(), ok),
            6 => () => engine.ChatAsync([], ok),
            7 => () => engine.ChatAsync([LongCatMessage.User("Hi")], ok with { ToolChoice = ToolChoice.Required() }),
            8 => () => engine.GenerateAsync(Enumerable.Repeat(5, engine.Config.MaxPositionEmbeddings).ToArray(), ok),
            _ => () => engine.GenerateAsync("Hi", ok with { DraftTokens = 9 }),
        };
        try
        {
            call();
        }
        catch (Exception e) when (e is ArgumentException or LongCatException)
        {
            return null;
        }
        return "the call did not throw";
    }
}
