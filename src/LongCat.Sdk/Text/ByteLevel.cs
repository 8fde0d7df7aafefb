namespace LongCat.Sdk.Text;

/// <summary>
/// GPT-2's byte-level alphabet: each of the 256 byte values is written as one printable character, so that byte-level BPE
/// vocabularies are JSON strings. Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68
/// (space, controls, 0x7F..0xA0, 0xAD) become U+0100 upwards in byte order, so a space is 'Ġ' (U+0120), '\n' is 'Ċ'.
/// </summary>
internal static class ByteLevel
{
    private static readonly char[] s_byteToChar = BuildByteToChar();

    /// <summary>The character standing for byte <paramref name="b"/>.</summary>
    public static char ByteToChar(byte b) => s_byteToChar[b];

    // Indexed by char: the byte it stands for, or -1. Every byte-level char is below U+0144.
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>The byte <paramref name="c"/> stands for, or -1 when it is not a byte-level character.</summary>
    public static int CharToByte(char c) => c < s_charToByte.Length ? s_charToByte[c] : -1;

    /// <summary>
    /// The bytes a vocabulary entry stands for, as the ByteLevel decoder reads it: the bytes of its characters when every one
    /// is a byte-level character, else the entry's own UTF-8 (added tokens such as "&lt;｜User｜&gt;").
    /// </summary>
    public static byte[] TokenBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            int b = CharToByte(token[i]);
            if (b < 0) return System.Text.Encoding.UTF8.GetBytes(token);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    /// <summary>Writes the byte-level characters of <paramref name="bytes"/> to <paramref name="destination"/> (same length).</summary>
    public static void ToChars(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        for (int i = 0; i < bytes.Length; i++) destination[i] = s_byteToChar[bytes[i]];
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = IsPrintable(b) ? (char)b : (char)next++;
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[s_byteToChar[b]] = (short)b;
        return map;
    }
}
