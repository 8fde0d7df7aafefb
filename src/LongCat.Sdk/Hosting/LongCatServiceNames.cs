namespace LongCat.Sdk.Hosting;

/// <summary>The options name of each registration: empty for <c>AddLongCat</c>, derived from the key for <c>AddKeyedLongCat</c>.</summary>
internal static class LongCatServiceNames
{
    private const string KeyedPrefix = "LongCat:";

    public static string For(object? serviceKey) => serviceKey is null ? Microsoft.Extensions.Options.Options.DefaultName : KeyedPrefix + serviceKey;

    public static string KeyOf(string name) => name.StartsWith(KeyedPrefix, StringComparison.Ordinal) ? $"\"{name[KeyedPrefix.Length..]}\"" : $"\"{name}\"";
}
