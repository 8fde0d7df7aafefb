using System.Net;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Server;

/// <summary>Whether an address reaches this machine only: 127.0.0.0/8, ::1 (IPv4-mapped too), <c>localhost</c>, a Unix socket.</summary>
internal static class Loopback
{
    public static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>A server address as Kestrel reports it (<c>http://127.0.0.1:8080</c>, <c>http://[::]:80</c>, <c>http://*:80</c>).</summary>
    public static bool IsLoopbackUrl(string url)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return false;
        }
        if (binding.IsUnixPipe || binding.IsNamedPipe) return true;
        string host = binding.Host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IsLoopback(ip);
    }
}
