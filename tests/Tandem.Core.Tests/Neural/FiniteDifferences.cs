namespace Tandem.Core.Tests.Neural;

/// <summary>The gradient check every neural test uses: central differences (h = 1e-6) of a loss in each entry of a
/// vector of values (parameters, logits), each restored afterwards, against an analytic gradient.</summary>
internal static class FiniteDifferences
{
    /// <summary>The values to perturb, read afresh for every entry (a network's parameter span, or an array).</summary>
    public delegate Span<double> Values();

    /// <summary>Assert <paramref name="close"/>(numeric, analytic) for every entry; the message names the entry.</summary>
    public static void AssertMatches(Values values, Func<double> loss, ReadOnlySpan<double> analytic, Func<double, double, bool> close, string entry)
    {
        const double h = 1e-6;
        int count = values().Length;
        Assert.Equal(count, analytic.Length);
        for (int i = 0; i < count; i++)
        {
            double keep = values()[i];
            values()[i] = keep + h;
            double plus = loss();
            values()[i] = keep - h;
            double minus = loss();
            values()[i] = keep;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(close(numeric, analytic[i]), $"{entry} {i}: numeric {numeric}, analytic {analytic[i]}");
        }
    }
}
