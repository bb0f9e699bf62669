namespace Tandem.Gambit.Model;

/// <summary>Where the participant is when a message may be sent (seed 002 App. F).</summary>
public enum Location
{
    /// <summary>At home.</summary>
    Home = 0,

    /// <summary>At work.</summary>
    Work = 1,

    /// <summary>Anywhere else.</summary>
    Other = 2,
}

/// <summary>
/// The context X_t of seed 002 App. F: location × previous-day step-count bin (1: 0–4,999; 2: 5,000–9,999;
/// 3: 10,000–15,000; 4: more than 15,000), twelve cells indexed location·4 + (bin − 1). The whole context is
/// passed to the generator (X~_t = X_t).
/// </summary>
/// <param name="Index">Range: 0 ≤ Index &lt; <see cref="Count"/>.</param>
public readonly record struct GambitContext(int Index)
{
    /// <summary>Number of contexts, 3 locations × 4 step bins.</summary>
    public const int Count = 12;

    /// <summary>The context of a location and a step bin (1–4).</summary>
    public static GambitContext Of(Location location, int stepsBin)
    {
        if (!Enum.IsDefined(location)) throw new ArgumentOutOfRangeException(nameof(location), location, "Unknown location.");
        if (stepsBin is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(stepsBin), stepsBin, "The step bin must lie in 1..4.");
        return new GambitContext((int)location * 4 + stepsBin - 1);
    }

    /// <summary>The location.</summary>
    public Location Location => (Location)(Index / 4);

    /// <summary>Previous-day steps bin, 1–4.</summary>
    public int StepsBin => Index % 4 + 1;

    /// <summary>"home:1" ... "other:4", the form the CSV bank uses.</summary>
    public override string ToString() => $"{Location.ToString().ToLowerInvariant()}:{StepsBin}";

    /// <summary>Parse "home:2" (location:bin) or an index 0–11.</summary>
    public static bool TryParse(string text, out GambitContext context)
    {
        context = default;
        if (text is null) return false;
        text = text.Trim();
        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int index))
        {
            if (index is < 0 or >= Count) return false;
            context = new GambitContext(index);
            return true;
        }
        int colon = text.IndexOf(':');
        if (colon < 0) return false;
        if (!Enum.TryParse(text[..colon], ignoreCase: true, out Location location) || !Enum.IsDefined(location)) return false;
        if (!int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int bin) || bin is < 1 or > 4) return false;
        context = Of(location, bin);
        return true;
    }
}
