using LongCat.Sdk.Compute;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>A step's attention metadata uploaded to the device: positions, cache slots, token → sequence, block tables.</summary>
internal sealed class StepMetadata : IDisposable
{
    private readonly DeviceTensor[] _owned;

    private StepMetadata(AttentionMetadata meta, params DeviceTensor[] owned)
    {
        Meta = meta;
        _owned = owned;
    }

    public AttentionMetadata Meta { get; }

    /// <summary>For each (blocks, first position, count): rows for positions [first, first + count) of that sequence.</summary>
    /// <exception cref="ArgumentException">A sequence's blocks do not cover the positions it writes.</exception>
    public static StepMetadata Build(IComputeBackend b, IReadOnlyList<(IReadOnlyList<int> Blocks, int Start, int Count)> chunks, int blockSize)
    {
        int tokens = 0, seqs = chunks.Count, maxBlocks = 1;
        foreach (var (blocks, start, count) in chunks)
        {
            if ((long)start + count > (long)blocks.Count * blockSize)
                throw new ArgumentException($"A chunk writes positions [{start}, {start + count}) but its sequence holds {blocks.Count} block(s) of {blockSize}: reserve them first.");
            tokens += count;
            maxBlocks = Math.Max(maxBlocks, blocks.Count);
        }
        var positions = new int[tokens]; var slots = new int[tokens]; var seqOf = new int[tokens];
        var tables = new int[seqs * maxBlocks];
        int row = 0;
        for (int s = 0; s < seqs; s++)
        {
            var (blocks, start, count) = chunks[s];
            for (int i = 0; i < blocks.Count; i++) tables[s * maxBlocks + i] = blocks[i];
            for (int i = 0; i < count; i++, row++)
            {
                positions[row] = start + i;
                slots[row] = BlockTable.Slot(blocks, start + i, blockSize);
                seqOf[row] = s;
            }
        }
        var posT = Upload(b, positions, tokens);
        var slotT = Upload(b, slots, tokens);
        var seqT = Upload(b, seqOf, tokens);
        var tableT = Upload(b, tables, seqs, maxBlocks);
        return new StepMetadata(new AttentionMetadata(posT, slotT, seqT, tableT, blockSize), posT, slotT, seqT, tableT);
    }

    public static DeviceTensor Upload(IComputeBackend b, int[] values, params int[] shape)
    {
        var t = b.Allocate(DType.I32, shape);
        b.Upload<int>(t, values);
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}
