using System.Globalization;

namespace Tandem.Gambit.Model;

/// <summary>
/// The context space X of a study (seed 002 §3): a finite set of named contexts and, per context, a vector of
/// context terms that the reward models read (φ(z, x) = [1, z, terms(x)], App. F.2.2). The paper's space
/// (<see cref="Paper"/>) is location × previous-day step bin, twelve contexts with the terms [work, home, steps bin];
/// a bank may carry any other space. Immutable; equality is structural (names and terms).
/// </summary>
public sealed class ContextSpace : IEquatable<ContextSpace>
{
    private readonly string[] _names;
    private readonly string[] _termNames;
    private readonly double[] _terms; // Count × TermCount, row-major
    private readonly Dictionary<string, int> _byName;

    /// <summary>Create a space.</summary>
    /// <param name="names">One distinct, non-empty name per context (case-insensitively distinct; not an integer, which
    /// would read as an index). Count ≥ 1.</param>
    /// <param name="termNames">Names of the context terms (may be empty: a space without terms).</param>
    /// <param name="terms">Per context, one finite value per term name.</param>
    public ContextSpace(IReadOnlyList<string> names, IReadOnlyList<string> termNames, IReadOnlyList<IReadOnlyList<double>> terms)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(termNames);
        ArgumentNullException.ThrowIfNull(terms);
        if (names.Count < 1) throw new ArgumentException("A context space needs at least one context.", nameof(names));
        if (terms.Count != names.Count) throw new ArgumentException($"The space has {names.Count} context(s) but {terms.Count} term vector(s).", nameof(terms));
        _byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int c = 0; c < names.Count; c++)
        {
            string name = names[c]?.Trim() ?? "";
            if (name.Length == 0) throw new ArgumentException($"Context {c} has an empty name.", nameof(names));
            if (int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                throw new ArgumentException($"Context name '{name}' is an integer, which would read as a context index.", nameof(names));
            if (!_byName.TryAdd(name, c)) throw new ArgumentException($"Context name '{name}' appears twice.", nameof(names));
        }
        foreach (string? t in termNames)
            if (string.IsNullOrWhiteSpace(t)) throw new ArgumentException("A context term has an empty name.", nameof(termNames));
        _names = names.Select(n => n.Trim()).ToArray();
        _termNames = termNames.ToArray();
        _terms = new double[names.Count * termNames.Count];
        for (int c = 0; c < names.Count; c++)
        {
            IReadOnlyList<double> row = terms[c] ?? throw new ArgumentException($"Context '{_names[c]}' has no term vector.", nameof(terms));
            if (row.Count != termNames.Count)
                throw new ArgumentException($"Context '{_names[c]}' has {row.Count} term value(s); the space has {termNames.Count} term(s) ({string.Join(", ", termNames)}).", nameof(terms));
            for (int j = 0; j < row.Count; j++)
            {
                if (!double.IsFinite(row[j])) throw new ArgumentException($"Context '{_names[c]}' term '{termNames[j]}' is {row[j]}; terms must be finite.", nameof(terms));
                _terms[c * termNames.Count + j] = row[j];
            }
        }
    }

    /// <summary>The paper's space (seed 002 App. F): location ∈ {home, work, other} × previous-day step bin ∈ {1, 2, 3, 4}
    /// (0–4,999; 5,000–9,999; 10,000–15,000; more than 15,000), indexed location·4 + (bin − 1), named "home:1" …
    /// "other:4", with the terms [work, home, steps bin] = [1{work}, 1{home}, bin] of the authors' outcome model.</summary>
    public static ContextSpace Paper { get; } = CreatePaper();

    /// <summary>A space of <paramref name="count"/> contexts named "c0", "c1", … without context terms.</summary>
    /// <param name="count">Range: ≥ 1.</param>
    public static ContextSpace Unstructured(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new ContextSpace(Enumerable.Range(0, count).Select(c => "c" + c.ToString(CultureInfo.InvariantCulture)).ToArray(), [],
            Enumerable.Range(0, count).Select(_ => (IReadOnlyList<double>)[]).ToArray());
    }

    /// <summary>Number of contexts |X|.</summary>
    public int Count => _names.Length;

    /// <summary>Context names, by index.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Names of the context terms (the paper's: work, home, steps-bin).</summary>
    public IReadOnlyList<string> TermNames => _termNames;

    /// <summary>Number of context terms per context.</summary>
    public int TermCount => _termNames.Length;

    /// <summary>Whether this is (structurally) the paper's space.</summary>
    public bool IsPaper => Equals(Paper);

    /// <summary>The context of an index, carrying this space.</summary>
    /// <param name="index">Range: 0 ≤ index &lt; <see cref="Count"/>.</param>
    public GambitContext this[int index] =>
        (uint)index < (uint)Count ? new GambitContext(index, this) : throw new ArgumentOutOfRangeException(nameof(index), index, $"Contexts lie in [0, {Count}).");

    /// <summary>The name of a context.</summary>
    public string Name(int index) => (uint)index < (uint)Count ? _names[index] : throw new ArgumentOutOfRangeException(nameof(index), index, $"Contexts lie in [0, {Count}).");

    /// <summary>The term vector of a context (length <see cref="TermCount"/>).</summary>
    public ReadOnlySpan<double> Terms(int index) => _terms.AsSpan(index * TermCount, TermCount);

    /// <summary>Parse a context name (case-insensitive, trimmed) or an index 0..Count − 1.</summary>
    public bool TryParse(string? text, out GambitContext context)
    {
        context = default;
        if (text is null) return false;
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
        {
            if ((uint)index >= (uint)Count) return false;
            context = new GambitContext(index, this);
            return true;
        }
        if (!_byName.TryGetValue(text, out index)) return false;
        context = new GambitContext(index, this);
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> (parameter <paramref name="parameter"/>) unless
    /// <paramref name="context"/> belongs to this space.</summary>
    public void Require(GambitContext context, string parameter)
    {
        if ((uint)context.Index >= (uint)Count || !ReferenceEquals(context.Space, this) && !context.Space.Equals(this))
            throw new ArgumentException($"Context {context.Index} of a space of {context.Space.Count} context(s) does not belong to this space of {Count} context(s) ({Describe()}).", parameter);
    }

    /// <summary>"12 contexts (home:1 … other:4), terms [work, home, steps-bin]".</summary>
    public string Describe() =>
        $"{Count} context(s) ({_names[0]}{(Count > 1 ? " … " + _names[^1] : "")}), terms [{string.Join(", ", _termNames)}]";

    /// <inheritdoc />
    public bool Equals(ContextSpace? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            _names.AsSpan().SequenceEqual(other._names) && _termNames.AsSpan().SequenceEqual(other._termNames) && _terms.AsSpan().SequenceEqual(other._terms));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ContextSpace other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, TermCount, _names[0]);

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static ContextSpace CreatePaper()
    {
        var names = new string[12];
        var terms = new IReadOnlyList<double>[12];
        foreach (Location location in Enum.GetValues<Location>())
        {
            for (int bin = 1; bin <= 4; bin++)
            {
                int c = (int)location * 4 + bin - 1;
                names[c] = $"{location.ToString().ToLowerInvariant()}:{bin.ToString(CultureInfo.InvariantCulture)}";
                terms[c] = [location == Location.Work ? 1 : 0, location == Location.Home ? 1 : 0, bin];
            }
        }
        return new ContextSpace(names, ["work", "home", "steps-bin"], terms);
    }
}
