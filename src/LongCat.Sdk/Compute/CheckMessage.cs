using System.Runtime.CompilerServices;

namespace LongCat.Sdk.Compute;

/// <summary>
/// The message of a backend's shape check, formatted only when the check fails: every op checks its shapes on every call, and
/// formatting the tensors into the message each time cost more than a small model's op (perf: DeviceTensor.ToString and the
/// string building on the decode path).
/// </summary>
[InterpolatedStringHandler]
internal ref struct CheckMessage
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Starts the message; <paramref name="shouldAppend"/> is false (nothing is formatted) when the check holds.</summary>
    public CheckMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    /// <summary>The formatted message.</summary>
    public string ToStringAndClear() => _text.ToStringAndClear();
}
