namespace LongCat.Sdk.Benchmarks;

/// <summary>Median, 90th and 99th percentiles, mean and maximum of a list of times.</summary>
internal readonly record struct Spread(double Median, double P90, double P99, double Mean, double Max, int Count)
{
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return new Spread(At(sorted, 0.5), At(sorted, 0.9), At(sorted, 0.99), sorted.Average(), sorted[^1], sorted.Length);
    }

    private static double At(double[] sorted, double q)
    {
        double i = q * (sorted.Length - 1);
        int lo = (int)i;
        return lo + 1 < sorted.Length ? sorted[lo] + (i - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }
}
