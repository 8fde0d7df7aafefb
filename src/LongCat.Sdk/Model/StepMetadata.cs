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

    /// <summary>For each (table, first position, count): rows for positions [first, first + count) of that sequence.</summary>
    public static StepMetadata Build(IComputeBackend b, IEnumerable<(BlockTable Table, int Start, int Count)> chunks, int blockSize)
    {
        var list = chunks.ToList();
        int tokens = list.Sum(c => c.Count), seqs = list.Count;
        int maxBlocks = Math.Max(1, list.Max(c => c.Table.Blocks.Count));
        var positions = new int[tokens]; var slots = new int[tokens]; var seqOf = new int[tokens];
        var tables = new int[seqs * maxBlocks];
        int row = 0;
        for (int s = 0; s < seqs; s++)
        {
            var (table, start, count) = list[s];
            for (int i = 0; i < table.Blocks.Count; i++) tables[s * maxBlocks + i] = table.Blocks[i];
            for (int i = 0; i < count; i++, row++)
            {
                positions[row] = start + i;
                slots[row] = table.Slot(start + i, blockSize);
                seqOf[row] = s;
            }
        }
        var posT = Upload(b, positions, tokens);
        var slotT = Upload(b, slots, tokens);
        var seqT = Upload(b, seqOf, tokens);
        var tableT = Upload(b, tables, seqs, maxBlocks);
        return new StepMetadata(new AttentionMetadata(posT, slotT, seqT, tableT, blockSize), posT, slotT, seqT, tableT);
    }

    private static DeviceTensor Upload(IComputeBackend b, int[] values, params int[] shape)
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
