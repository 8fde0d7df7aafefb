// Test classes over the SDK's internals (weight formats, backends) are internal themselves: their data rows name internal types.
[assembly: DiscoverInternals]
