using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>Gives the UTF-8 bytes a token stands for (the tokenizer's <c>TokenBytes(id)</c>).</summary>
/// <param name="tokenId">The token id.</param>
/// <returns>The token's bytes; they need not form whole characters.</returns>
internal delegate ReadOnlySpan<byte> TokenBytesProvider(int tokenId);

/// <summary>
/// Turns a stream of token ids into text without ever emitting half a character. Byte-level BPE tokens may end in the
/// middle of a UTF-8 sequence ("€" is E2 82 AC and may arrive as three tokens): the bytes of an incomplete sequence are
/// held until it completes. A sequence that can no longer complete becomes one U+FFFD (per maximal invalid subpart, as
/// the Unicode standard recommends) as soon as that is certain, and the bytes after it are decoded normally.
/// </summary>
/// <remarks>One instance per sequence; not thread-safe. Allocates only the returned strings once its buffer has grown
/// to the longest token.</remarks>
internal sealed class StreamingDetokenizer
{
    private readonly TokenBytesProvider _tokenBytes;
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Creates a detokenizer reading token bytes from <paramref name="tokenBytes"/>.</summary>
    public StreamingDetokenizer(TokenBytesProvider tokenBytes)
    {
        ArgumentNullException.ThrowIfNull(tokenBytes);
        _tokenBytes = tokenBytes;
    }

    /// <summary>Adds one token; returns the text it completes (empty while a character is still incomplete).</summary>
    public string Push(int tokenId) => Decode(_tokenBytes(tokenId), flush: false);

    /// <summary>Ends the stream: an incomplete trailing sequence becomes U+FFFD. The detokenizer can then start a new stream.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Each byte yields at most one char (a 4-byte sequence yields 2), plus up to 3 bytes held from before.
        int needed = bytes.Length + 4;
        if (_chars.Length < needed) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int n = _decoder.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
