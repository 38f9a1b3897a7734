// A distribution-free confidence interval for a median: the order statistics x(k) and x(n+1-k),
// with k the largest rank for which a Binomial(n, 1/2) count falls below k with probability at most
// (1 - level) / 2. It assumes only that the samples are independent draws of one distribution (the
// per-round differences of a paired benchmark), not that they are normal; its coverage is at least
// the level asked for (it is exact at the binomial's steps). For n = 30 and 95 %: x(10)..x(21).
using System;
using System.Collections.Generic;
using System.Linq;

namespace Stratos.Island.Agent.Bench;

internal static class MedianInterval
{
    /// <summary>The interval and its actual coverage; (NaN, NaN, 0) when n is too small for the level (n &lt; 6 at 95 %).</summary>
    public static (double Low, double High, double Coverage) Of(IReadOnlyList<double> samples, double level = 0.95)
    {
        int n = samples.Count;
        double tail = (1 - level) / 2;
        // cdf[j] = P(B <= j), B ~ Binomial(n, 1/2).
        var cdf = new double[n + 1];
        double term = Math.Pow(0.5, n);
        double sum = 0;
        for (int j = 0; j <= n; j++)
        {
            sum += term;
            cdf[j] = sum;
            term = term * (n - j) / (j + 1);
        }

        // Largest k with P(B <= k - 1) <= tail: then P(x(k) <= median <= x(n+1-k)) >= 1 - 2 * P(B <= k - 1).
        int k = 0;
        while (k + 1 <= n && cdf[k] <= tail)
        {
            k++;
        }

        if (k == 0 || k > n + 1 - k)
        {
            return (double.NaN, double.NaN, 0);
        }

        double[] sorted = samples.OrderBy(v => v).ToArray();
        return (sorted[k - 1], sorted[n - k], 1 - 2 * cdf[k - 1]);
    }
}
