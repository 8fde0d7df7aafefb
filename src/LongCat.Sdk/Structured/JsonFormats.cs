namespace LongCat.Sdk.Structured;

/// <summary>
/// The string formats a schema's <c>format</c> enforces, as whole-match regexes (ASCII, so any spelling rule applies): cheap
/// approximations that generate only valid values (a subset of each format), also by .NET's parsers. Other formats are
/// annotations (JSON Schema 2020-12's default) and are not enforced.
/// </summary>
internal static class JsonFormats
{
    // Days by month, Feb 29 left out (leap years would need the year); years 0001-9999 (what DateTime holds).
    private const string Date =
        "(000[1-9]|00[1-9][0-9]|0[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9])-" +
        "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))";

    // Offsets within ±14:00 (what DateTimeOffset holds); fractions of up to 7 digits (DateTime's precision).
    private const string Time = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,7})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)";

    /// <summary>The regex of <paramref name="format"/>, or null when it is not enforced.</summary>
    public static string? Pattern(string format) => format switch
    {
        "date" => Date,
        "time" => Time,
        "date-time" => Date + "T" + Time,
        "uuid" => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        // Dot-atoms without consecutive dots; domain labels of letters and digits (IDNA-safe), 2-24 letter top-level domain.
        "email" => "[A-Za-z0-9]+([._+-][A-Za-z0-9]+)*@([A-Za-z0-9]{1,40}\\.){1,3}[A-Za-z]{2,24}",
        _ => null,
    };
}
