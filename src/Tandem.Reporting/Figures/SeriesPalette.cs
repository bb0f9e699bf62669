namespace Tandem.Reporting;

/// <summary>
/// One colour per series name across every figure and report: a name keeps the same <see cref="Figures.Palette"/>
/// colour wherever it is drawn, so "GLRB" is the same blue in the regret and the queries figure, in every study and
/// every seed. The seed's policy names have fixed colours; any other name takes the colour its text hashes to (FNV-1a,
/// stable across processes). Within one figure colours are distinct: a name whose colour is already taken by an
/// earlier series of that figure takes the next free one, in palette order. Only with more series than colours do
/// two share one; <see cref="Assign"/> marks the later ones so figures draw them dashed.
/// </summary>
public static class SeriesPalette
{
    // The policies every study of the toolkit draws, by their display names: fixed, so they never depend on a hash.
    private static readonly Dictionary<string, int> Fixed = new(StringComparer.Ordinal)
    {
        ["LinUCB"] = 0,       // blue
        ["LLM-only"] = 1,     // vermillion
        ["GLRB"] = 2,         // bluish green
        ["LIBRA"] = 3,        // reddish purple
        ["LIBRA (q=0)"] = 6,  // black: the control, kept apart from LLM-only's vermillion (orange was too close)
    };

    /// <summary>The preferred palette index of <paramref name="name"/>, the same in every figure.</summary>
    public static int Preferred(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Fixed.TryGetValue(name, out int index)) return index;
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash ^= c;
            hash *= 16777619;
        }
        return (int)(hash % (uint)Figures.Palette.Count);
    }

    /// <summary>The palette index of each of <paramref name="names"/> in one figure, distinct while the palette lasts,
    /// and whether the series repeats a colour already used in the figure (draw it dashed).</summary>
    public static (int Color, bool Repeated)[] Assign(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        int count = Figures.Palette.Count;
        var taken = new bool[count];
        var result = new (int, bool)[names.Count];
        for (int s = 0; s < names.Count; s++)
        {
            int preferred = Preferred(names[s] ?? string.Empty);
            int color = -1;
            for (int k = 0; k < count && color < 0; k++)
            {
                int candidate = (preferred + k) % count;
                if (!taken[candidate]) color = candidate;
            }
            if (color < 0)
            {
                result[s] = (preferred, true);
                continue;
            }
            taken[color] = true;
            result[s] = (color, false);
        }
        return result;
    }
}
