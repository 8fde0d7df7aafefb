// TEMPORARY stand-in for the Tokenizer being written on the `tokenizer` branch; deleted when it merges.
namespace LongCat.Sdk.Text;

/// <summary>stub</summary>
public sealed class Tokenizer
{
    /// <summary>stub</summary>
    public static Tokenizer FromFile(string path) => throw new NotImplementedException(path);
    /// <summary>stub</summary>
    public int[] Encode(string text, bool parseSpecialTokens = true) => throw new NotImplementedException();
    /// <summary>stub</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => throw new NotImplementedException();
    /// <summary>stub</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => throw new NotImplementedException();
}
