using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LongCat.Sdk.Server;

/// <summary>JSON written with <see cref="Utf8JsonWriter"/> (no reflection: the package is trimmable), UTF-8 text left as is.</summary>
internal static class ResponseJson
{
    // The body is JSON read by JSON parsers, never embedded in HTML: non-ASCII text needs no \u escapes.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The bytes <paramref name="write"/> writes.</summary>
    public static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options)) write(w);
        return buffer.WrittenMemory;
    }
}
