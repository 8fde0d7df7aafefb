using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>The slow twin of the sampler's filters: Hugging Face's processors written out with full sorts, in double.</summary>
internal static class NaiveReference
{
    public static (int[] Ids, double[] Probs) Filter(float[] logits, SamplingOptions o)
    {
        // Temperature, then softmax over everything still allowed.
        var alive = Enumerable.Range(0, logits.Length).ToList();
        double[] x = logits.Select(l => (double)l / o.Temperature).ToArray();
        Dictionary<int, double> Softmax()
        {
            double max = alive.Max(i => x[i]);
            double z = alive.Sum(i => Math.Exp(x[i] - max));
            return alive.ToDictionary(i => i, i => Math.Exp(x[i] - max) / z);
        }
        List<int> Ranked() => alive.OrderByDescending(i => x[i]).ThenBy(i => i).ToList();

        if (o.TopK > 0) alive = Ranked().Take(o.TopK).ToList();
        if (o.TopP < 1f)
        {
            var p = Softmax();
            var kept = new List<int>();
            double above = 0;
            foreach (int i in Ranked())
            {
                if (above >= o.TopP) break;
                kept.Add(i);
                above += p[i];
            }
            alive = kept;
        }
        if (o.MinP > 0f)
        {
            var p = Softmax();
            double top = p.Values.Max();
            alive = alive.Where(i => p[i] >= o.MinP * top).ToList();
        }
        var final = Softmax();
        int[] ids = alive.Order().ToArray();
        return (ids, ids.Select(i => final[i]).ToArray());
    }
}
