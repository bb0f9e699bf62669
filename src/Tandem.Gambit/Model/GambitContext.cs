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
/// A context X_t: an index into a <see cref="ContextSpace"/>, carrying its space (the paper's,
/// <see cref="ContextSpace.Paper"/>, unless built by another space). The whole context is passed to the
/// generator (X~_t = X_t). Equal when the index and the space are equal.
/// </summary>
public readonly struct GambitContext : IEquatable<GambitContext>
{
    private readonly ContextSpace? _space;

    /// <summary>Context <paramref name="index"/> of the paper's space.</summary>
    /// <param name="index">Range: 0 ≤ index &lt; 12 to be usable.</param>
    public GambitContext(int index)
    {
        Index = index;
    }

    /// <summary>Context <paramref name="index"/> of <paramref name="space"/> (unchecked; <see cref="ContextSpace.this"/> checks).</summary>
    internal GambitContext(int index, ContextSpace space)
    {
        Index = index;
        _space = space;
    }

    /// <summary>Number of contexts of the paper's space (<see cref="ContextSpace.Paper"/>, 3 locations × 4 step
    /// bins). A bank with another space states its own count (<see cref="Bank.ResponseBank.Contexts"/>).</summary>
    public const int Count = 12;

    /// <summary>The index in <see cref="Space"/>. Range: 0 ≤ Index &lt; Space.Count.</summary>
    public int Index { get; }

    /// <summary>The space this context belongs to.</summary>
    public ContextSpace Space => _space ?? ContextSpace.Paper;

    /// <summary>The context terms (<see cref="ContextSpace.Terms"/>).</summary>
    public ReadOnlySpan<double> Terms => Space.Terms(Index);

    /// <summary>The paper's context of a location and a step bin (1–4).</summary>
    public static GambitContext Of(Location location, int stepsBin)
    {
        if (!Enum.IsDefined(location)) throw new ArgumentOutOfRangeException(nameof(location), location, "Unknown location.");
        if (stepsBin is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(stepsBin), stepsBin, "The step bin must lie in 1..4.");
        return new GambitContext((int)location * 4 + stepsBin - 1);
    }

    /// <summary>The location (paper's space only).</summary>
    public Location Location => (Location)(PaperIndex / 4);

    /// <summary>Previous-day steps bin, 1–4 (paper's space only).</summary>
    public int StepsBin => PaperIndex % 4 + 1;

    private int PaperIndex => Space.IsPaper ? Index : throw new InvalidOperationException($"Location and step bin exist only in the paper's space; this context belongs to a space of {Space.Describe()}.");

    /// <summary>The context's name in its space ("home:1" ... "other:4" in the paper's, the form the CSV bank uses);
    /// "context N" when the index lies outside the space.</summary>
    public override string ToString() => (uint)Index < (uint)Space.Count ? Space.Name(Index) : $"context {Index}";

    /// <summary>Parse a context of the paper's space: "home:2" (location:bin) or an index 0–11.</summary>
    public static bool TryParse(string text, out GambitContext context) => ContextSpace.Paper.TryParse(text, out context);

    /// <inheritdoc />
    public bool Equals(GambitContext other) => Index == other.Index && (ReferenceEquals(_space, other._space) || Space.Equals(other.Space));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GambitContext other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Index;

    /// <summary>Equality.</summary>
    public static bool operator ==(GambitContext left, GambitContext right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(GambitContext left, GambitContext right) => !left.Equals(right);
}
