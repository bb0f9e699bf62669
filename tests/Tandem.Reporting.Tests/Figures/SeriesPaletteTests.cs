using Tandem.Reporting;

namespace Tandem.Reporting.Tests.Figures;

public class SeriesPaletteTests
{
    [Fact]
    public void APolicy_KeepsItsColour_WhateverElseIsInTheFigure()
    {
        // Issue 11: colours changed between the regret and the queries figure of one report because they followed the
        // series' position. GLRB must be the same colour with or without LinUCB and LLM-only before it.
        int alone = SeriesPalette.Assign(["GLRB", "LIBRA"])[0].Color;
        int withOthers = SeriesPalette.Assign(["LinUCB", "LLM-only", "GLRB", "LIBRA", "LIBRA (q=0)"])[2].Color;
        Assert.Equal(alone, withOthers);
        Assert.Equal(SeriesPalette.Preferred("GLRB"), alone);
        Assert.Equal(SeriesPalette.Assign(["LIBRA"])[0], SeriesPalette.Assign(["LinUCB", "LIBRA"])[1]);
    }

    [Fact]
    public void ColoursWithinOneFigure_AreDistinct_WhileThePaletteLasts()
    {
        // Ablation labels hash freely; two of eight may want the same colour, and the later must move on.
        string[] names = [.. Enumerable.Range(0, Tandem.Reporting.Figures.Palette.Count).Select(i => $"LIBRA Δ={i * 0.25}")];
        var assigned = SeriesPalette.Assign(names);
        Assert.Equal(names.Length, assigned.Select(a => a.Color).Distinct().Count());
        Assert.All(assigned, a => Assert.False(a.Repeated));
        var more = SeriesPalette.Assign([.. names, "one more"]);
        Assert.True(more[^1].Repeated);
    }

    [Fact]
    public void Preferred_IsAStableHash_NotTheProcessesStringHash()
    {
        // FNV-1a of "abc" is 0x1A47E90B = 440920331; 440920331 mod 8 = 3. string.GetHashCode is randomized per process
        // and would give each run of the CLI different colours.
        Assert.Equal(440920331 % Tandem.Reporting.Figures.Palette.Count, SeriesPalette.Preferred("abc"));
    }
}
