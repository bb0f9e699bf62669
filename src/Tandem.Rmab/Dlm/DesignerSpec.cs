namespace Tandem.Rmab.Dlm;

/// <summary>
/// Which reward designer a DLM study uses, as data: "simulated" (the documented simulation of an LLM that reads the
/// task's sentence with a fixed word-to-feature mapping, with its settings), "minilm" (the <see cref="EmbeddingDesigner"/>
/// on the sentence-embedding model all-MiniLM-L6-v2, which the host supplies: <c>tandem dlm</c>'s default), "oracle" (an ablation that reads the Base reward's features: an upper bound),
/// "base" (the ground truth; MNR 1), or a name the host resolves (a language model, e.g.
/// "openai:gpt-4o-mini") through an <see cref="IRewardDesignerFactory"/>.
/// </summary>
public sealed record DesignerSpec
{
    /// <summary>"simulated" (the library's default, which needs no host), "minilm" (needs the host's embedding model; the
    /// CLI's default), "oracle", "base", or a host designer's name.</summary>
    public string Name { get; init; } = RewardDesigners.Simulated;

    /// <summary>Settings of the simulated designer; null: its defaults. Ignored by other designers.</summary>
    public SimulatedDesignerOptions? Simulated { get; init; }

    /// <summary>Settings of the oracle ablation; null: its defaults. Ignored by other designers.</summary>
    public OracleDesignerOptions? Oracle { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for an empty name, <see cref="ArgumentOutOfRangeException"/>
    /// naming a simulated- or oracle-designer setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("The designer needs a name: simulated, oracle, base, or a language model.", nameof(Name));
        Simulated?.Validated();
        Oracle?.Validated();
    }
}

/// <summary>
/// Supplies the designers the library does not own (language models, which live in Tandem.Llm): the host implements
/// it and passes it to <see cref="DlmStudy.RunAsync"/>. Not an options field, so options stay data.
/// </summary>
public interface IRewardDesignerFactory
{
    /// <summary>The designer for <paramref name="spec"/>, or null when this factory does not know its name.</summary>
    /// <exception cref="Core.Ports.StudyStopException">The designer is known but cannot be built (e.g. no API key);
    /// the study stops with this message.</exception>
    IRewardDesigner? TryCreate(DesignerSpec spec);
}

/// <summary>The designers a study can name without a host (<see cref="Simulated"/>, <see cref="Oracle"/>, <see cref="Base"/>), and
/// <see cref="MiniLm"/>, which the library runs but whose embedding model the host supplies.</summary>
public static class RewardDesigners
{
    /// <summary>"simulated": <see cref="SimulatedDesigner"/>.</summary>
    public const string Simulated = "simulated";

    /// <summary>"oracle": <see cref="OracleDesigner"/>, an ablation that reads the Base reward's features (an upper
    /// bound, never a default).</summary>
    public const string Oracle = "oracle";

    /// <summary>"base": <see cref="BaseDesigner"/>.</summary>
    public const string Base = "base";

    /// <summary>"minilm": <see cref="EmbeddingDesigner"/> over all-MiniLM-L6-v2, built by the host's
    /// <see cref="IRewardDesignerFactory"/> (Tandem.Llm's <c>MiniLmDesignerFactory</c>).</summary>
    public const string MiniLm = "minilm";

    /// <summary>The designer for <paramref name="spec"/>: a built-in one, else the host's; throws
    /// <see cref="ArgumentException"/> naming the unknown designer and the allowed names.</summary>
    public static IRewardDesigner Create(DesignerSpec spec, IRewardDesignerFactory? host = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        string name = spec.Name.Trim();
        if (name.Equals(Simulated, StringComparison.OrdinalIgnoreCase)) return new SimulatedDesigner(spec.Simulated);
        if (name.Equals(Oracle, StringComparison.OrdinalIgnoreCase)) return new OracleDesigner(spec.Oracle);
        if (name.Equals(Base, StringComparison.OrdinalIgnoreCase)) return new BaseDesigner();
        IRewardDesigner? hosted = host?.TryCreate(spec);
        if (hosted is not null) return hosted;
        if (name.Equals(MiniLm, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The designer '{MiniLm}' needs the host's embedding model (Tandem.Llm's MiniLmDesignerFactory); {(host is null ? "no host designer factory was given" : "the host's factory does not supply it")}.", nameof(spec));
        return hosted
            ?? throw new ArgumentException($"The designer '{spec.Name}' is unknown; allowed: {Simulated}, {Oracle}, {Base}{(host is null ? " (no host designer factory was given)" : ", or a designer the host knows")}.", nameof(spec));
    }
}
