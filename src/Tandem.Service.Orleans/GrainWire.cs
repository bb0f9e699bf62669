using System.Runtime.InteropServices;
using System.Text.Json;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans;

/// <summary>
/// A context on its way to the study grain, already checked by the front end with the study's own
/// <see cref="StudyLearner.ReadContext"/> (<see cref="GrainStudyHost"/>): the parsed value when it is a feature vector
/// (linucb, glrb) or a state vector (whittle), so the grain does not parse and check it a second time, else the
/// request's JSON (the GAMBITTS kinds' context name). The grain trusts its cluster's front ends for this check as it
/// does for the key check. Immutable: neither side changes the arrays after the call (the grain's learner copies what
/// it keeps).
/// </summary>
[GenerateSerializer, Immutable, Alias("Tandem.GrainContext")]
public sealed class GrainContext
{
    /// <summary>The checked feature vector (a <c>double[]</c> context), or null.</summary>
    [Id(0)] public double[]? Numbers { get; init; }

    /// <summary>The checked states (a <c>byte[]</c> context), or null.</summary>
    [Id(1)] public byte[]? States { get; init; }

    /// <summary>The request's context JSON when it is neither, or null when the request had none.</summary>
    [Id(2)] public string? Json { get; init; }

    /// <summary>The wire form of <paramref name="parsed"/>, what <paramref name="raw"/> was read into.</summary>
    internal static GrainContext Of(object parsed, JsonElement raw) => parsed switch
    {
        double[] numbers => new GrainContext { Numbers = numbers },
        byte[] states => new GrainContext { States = states },
        _ => new GrainContext { Json = raw.ValueKind == JsonValueKind.Undefined ? null : raw.GetRawText() },
    };

    /// <summary>The context as the learner takes it: the checked vector, or <paramref name="read"/> of the JSON (which
    /// throws <see cref="RequestException"/> naming the field at fault).</summary>
    internal object Read(Func<JsonElement, object> read)
    {
        if (Numbers is not null) return Numbers;
        if (States is not null) return States;
        if (Json is null) return read(default);
        using var document = JsonDocument.Parse(Json);
        return read(document.RootElement);
    }
}

/// <summary>How a <see cref="DecisionView"/> crosses silos (Orleans' binary format; the payload as its UTF-8 JSON).
/// Between grains of one process nothing is converted: <see cref="GrainReply"/> is immutable, so the view is passed as is.</summary>
[GenerateSerializer, Immutable, Alias("Tandem.DecisionViewSurrogate")]
internal struct DecisionViewSurrogate
{
    [Id(0)] public string DecisionId;
    [Id(1)] public int Arm;
    [Id(2)] public string ArmName;
    [Id(3)] public double? Propensity;
    [Id(4)] public double?[] Probabilities;
    [Id(5)] public string[] Notes;
    [Id(6)] public long ModelVersion;
    [Id(7)] public byte[]? Payload;
}

/// <summary>Converts <see cref="DecisionView"/> to and from <see cref="DecisionViewSurrogate"/>.</summary>
[RegisterConverter]
internal sealed class DecisionViewConverter : IConverter<DecisionView, DecisionViewSurrogate>
{
    public DecisionView ConvertFromSurrogate(in DecisionViewSurrogate surrogate) =>
        new(surrogate.DecisionId, surrogate.Arm, surrogate.ArmName, surrogate.Propensity, surrogate.Probabilities, surrogate.Notes,
            surrogate.ModelVersion, surrogate.Payload is null ? default : JsonSerializer.Deserialize<JsonElement>(surrogate.Payload));

    public DecisionViewSurrogate ConvertToSurrogate(in DecisionView value) => new()
    {
        DecisionId = value.DecisionId,
        Arm = value.Arm,
        ArmName = value.ArmName,
        Propensity = value.Propensity,
        Probabilities = value.Probabilities,
        Notes = value.Notes,
        ModelVersion = value.ModelVersion,
        Payload = value.Payload.ValueKind == JsonValueKind.Undefined ? null : JsonMarshal.GetRawUtf8Value(value.Payload).ToArray(),
    };
}

/// <summary>How a <see cref="RewardView"/> crosses silos.</summary>
[GenerateSerializer, Immutable, Alias("Tandem.RewardViewSurrogate")]
internal struct RewardViewSurrogate
{
    [Id(0)] public string DecisionId;
    [Id(1)] public double Reward;
    [Id(2)] public bool Learned;
    [Id(3)] public string[] Notes;
    [Id(4)] public long ModelVersion;
}

/// <summary>Converts <see cref="RewardView"/> to and from <see cref="RewardViewSurrogate"/>.</summary>
[RegisterConverter]
internal sealed class RewardViewConverter : IConverter<RewardView, RewardViewSurrogate>
{
    public RewardView ConvertFromSurrogate(in RewardViewSurrogate surrogate) =>
        new(surrogate.DecisionId, surrogate.Reward, surrogate.Learned, surrogate.Notes, surrogate.ModelVersion);

    public RewardViewSurrogate ConvertToSurrogate(in RewardView value) => new()
    {
        DecisionId = value.DecisionId,
        Reward = value.Reward,
        Learned = value.Learned,
        Notes = value.Notes,
        ModelVersion = value.ModelVersion,
    };
}
