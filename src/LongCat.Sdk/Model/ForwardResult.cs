using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// What one forward returns: logits rows [LogitRows, Columns] on the host and, when asked, the final-normed hidden states on the
/// device. Both live in buffers the producer reuses: they are valid until its next forward, after which reading them throws.
/// </summary>
internal sealed class ForwardResult
{
    private readonly ResultBuffers _owner;
    private readonly long _version;
    private readonly DeviceTensor? _hidden;

    internal ForwardResult(ResultBuffers owner, int rows, int columns, DeviceTensor? hidden)
    {
        _owner = owner;
        _version = owner.Version;
        LogitRows = rows;
        Columns = columns;
        _hidden = hidden;
    }

    /// <summary>Rows of logits: in chunk order, every position of chunks that asked for all logits, else each chunk's last.</summary>
    public int LogitRows { get; }

    /// <summary>Values per row (the vocabulary, or the MTP head's draft vocabulary).</summary>
    public int Columns { get; }

    /// <summary>Every logits row, row-major.</summary>
    /// <exception cref="InvalidOperationException">A later forward has reused the buffer.</exception>
    public ReadOnlySpan<float> Logits => Fresh().Logits.AsSpan(0, LogitRows * Columns);

    /// <summary>Logits row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, LogitRows);
        return Fresh().Logits.AsSpan(row * Columns, Columns);
    }

    /// <summary>
    /// The final-normed hidden states on the device: [tokens, H], one row per token of the batch, when the batch asked for them
    /// (<see cref="ForwardBatch.ReturnHidden"/>); for the MTP head, one row per logits row (the input of a chained draft).
    /// </summary>
    public DeviceTensor? Hidden
    {
        get
        {
            if (_hidden is not null) Fresh(_owner.HiddenLifetime);
            return _hidden;
        }
    }

    private ResultBuffers Fresh(int lifetime = 0)
    {
        if (_owner.Version - _version > lifetime)
            throw new InvalidOperationException("This forward's result was overwritten by a later forward: copy what you need before the next call.");
        return _owner;
    }
}

/// <summary>A producer's reusable host logits buffer and the count of results it has handed out.</summary>
/// <param name="hiddenLifetime">How many later results a result's hidden rows survive (the MTP head keeps two buffers in turn).</param>
internal sealed class ResultBuffers(int hiddenLifetime = 0)
{
    public float[] Logits { get; private set; } = [];
    public long Version { get; private set; }
    public int HiddenLifetime { get; } = hiddenLifetime;

    /// <summary>Starts a new result: earlier ones go stale; the buffer holds at least <paramref name="values"/>.</summary>
    public float[] Next(int values)
    {
        Version++;
        if (Logits.Length < values) Logits = new float[values];
        return Logits;
    }
}
