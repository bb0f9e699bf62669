using System.Globalization;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;

namespace Tandem.Evaluation.Targets;

/// <summary>A policy to evaluate: for a logged line (its context and arm count), a probability for every arm.</summary>
public interface ITargetPolicy
{
    /// <summary>The policy's name in reports (its spec).</summary>
    string Name { get; }

    /// <summary>Write π(a | x) of <paramref name="line"/>'s context for every arm (summing to 1) into <paramref name="destination"/>;
    /// NaN in every entry when the target cannot state them on this line (it followed an advisor).</summary>
    void Probabilities(LoggedDecision line, Span<double> destination);

    /// <summary>The posterior draws M behind each probability vector when it is a fresh Monte Carlo estimate per line
    /// (a Thompson-sampling target); 0 (the default) when the probabilities are exact.</summary>
    int ProbabilityDraws => 0;
}

/// <summary>
/// A target policy named on the command line: <c>uniform</c>, <c>arm:N</c> (always arm N), or
/// <c>greedy-model</c> (the arm with the largest q̂ of the ridge reward model fitted on the whole log; ties go to
/// the lowest arm). A policy that acts on the log's own <c>expectedRewards</c> is not offered: it reads the truth
/// the estimates are scored against.
/// </summary>
/// <param name="Kind">"uniform", "arm" or "greedy-model".</param>
/// <param name="Arm">The arm of "arm:N"; 0 otherwise.</param>
public sealed record TargetSpec(string Kind, int Arm = 0) : ITargetSource
{
    /// <summary>The specs accepted, for messages.</summary>
    public const string Allowed = "uniform, arm:N, greedy-model";

    /// <summary>The spec as text ("uniform", "arm:2", "greedy-model").</summary>
    public override string ToString() => Kind == "arm" ? "arm:" + Arm.ToString(CultureInfo.InvariantCulture) : Kind;

    /// <summary>Parse a spec; <see cref="ArgumentException"/> names it and the accepted forms.</summary>
    public static TargetSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "uniform") return new TargetSpec("uniform");
        if (t == "greedy-model") return new TargetSpec("greedy-model");
        if (t.StartsWith("arm:", StringComparison.Ordinal) && int.TryParse(t[4..], NumberStyles.None, CultureInfo.InvariantCulture, out int arm))
            return new TargetSpec("arm", arm);
        throw new ArgumentException($"Target policy '{text}' is unknown; allowed: {Allowed}.", nameof(text));
    }

    /// <inheritdoc />
    public ITargetPolicy Create(int arms, int dimension, CrossFittedRidge model) => Create(arms, model);

    /// <summary>The policy for a log of <paramref name="arms"/> arms; <paramref name="model"/> is the full-log fit
    /// (used by greedy-model only). <see cref="ArgumentException"/> names the spec and the log's arm count when they do not match.</summary>
    public ITargetPolicy Create(int arms, CrossFittedRidge model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Kind switch
        {
            "uniform" => new UniformTarget(),
            "arm" when Arm >= 0 && Arm < arms => new SingleArmTarget(Arm),
            "arm" => throw new ArgumentException($"Target policy '{this}' needs arm {Arm}; the log has {arms} arms (0..{arms - 1}).", "policy"),
            "greedy-model" => new GreedyModelTarget(model, arms),
            _ => throw new ArgumentException($"Target policy kind '{Kind}' is unknown; allowed: {Allowed}.", "policy"),
        };
    }
}

/// <summary>π(a | x) = 1/K.</summary>
public sealed class UniformTarget : ITargetPolicy
{
    /// <inheritdoc />
    public string Name => "uniform";

    /// <inheritdoc />
    public void Probabilities(LoggedDecision line, Span<double> destination) => destination.Fill(1.0 / destination.Length);
}

/// <summary>Always <paramref name="arm"/>.</summary>
public sealed class SingleArmTarget(int arm) : ITargetPolicy
{
    /// <inheritdoc />
    public string Name => "arm:" + arm.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Probabilities(LoggedDecision line, Span<double> destination)
    {
        destination.Clear();
        destination[arm] = 1;
    }
}

/// <summary>The arm with the largest q̂ of the full-log ridge fit (deterministic; lowest arm on ties). It is fitted
/// on the same log it is evaluated on, so its estimates are in-sample (optimistic).</summary>
public sealed class GreedyModelTarget(CrossFittedRidge model, int arms) : ITargetPolicy
{
    private readonly double[] _q = new double[arms];

    /// <inheritdoc />
    public string Name => "greedy-model";

    /// <inheritdoc />
    public void Probabilities(LoggedDecision line, Span<double> destination)
    {
        model.PredictFull(line, _q);
        int best = 0;
        for (int a = 1; a < _q.Length; a++) if (_q[a] > _q[best]) best = a;
        destination.Clear();
        destination[best] = 1;
    }
}
