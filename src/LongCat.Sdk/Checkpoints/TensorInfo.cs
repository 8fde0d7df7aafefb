using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">Checkpoint name, for example <c>model.layers.0.mlp.router.classifier.weight</c>.</param>
/// <param name="DType">Stored element type.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Offset">Byte offset into the file's data section (after the header).</param>
/// <param name="Length">Byte length; always elements × element size.</param>
/// <param name="File">Path of the shard that holds it.</param>
internal sealed record TensorInfo(string Name, DType DType, long[] Shape, long Offset, long Length, string File)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>The shape written as <c>[a, b]</c> for messages.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
