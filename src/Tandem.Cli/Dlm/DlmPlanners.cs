using System.Globalization;
using Tandem.Rmab.Planning;

namespace Tandem.Cli.Dlm;

/// <summary>Maps `tandem dlm` planner options to planner factories; out-of-range settings become one-line usage errors.</summary>
public static class DlmPlanners
{
    /// <summary>The Lagrangian PPO planner with the authors' settings, optionally overriding the epochs and the learning rate.</summary>
    /// <param name="epochs">--ppo-epochs (≥ 1), or null for the default.</param>
    /// <param name="learningRate">--ppo-lr (&gt; 0), used for the actor and the critic, or null for the default.</param>
    public static Func<ulong, IRmabPlanner> Ppo(int? epochs, double? learningRate)
    {
        var options = new PpoOptions();
        if (epochs is int e) options = options with { Epochs = e, FinalFrozenEpochs = Math.Min(options.FinalFrozenEpochs, Math.Max(e - 1, 0)) };
        if (learningRate is double lr) options = options with { PolicyLearningRate = lr, ValueLearningRate = lr };
        try { options.Validate(); }
        catch (ArgumentOutOfRangeException ex)
        {
            string option = ex.ParamName switch
            {
                nameof(PpoOptions.Epochs) => "--ppo-epochs",
                nameof(PpoOptions.PolicyLearningRate) or nameof(PpoOptions.ValueLearningRate) => "--ppo-lr",
                _ => ex.ParamName ?? "a PPO setting",
            };
            string value = Convert.ToString(ex.ActualValue, CultureInfo.InvariantCulture) ?? "";
            throw new UsageException(option == "--ppo-epochs" ? $"--ppo-epochs {value} must be at least 1." : $"{option} {value} must be finite and > 0.");
        }
        return seed => new PpoPlanner(options, seed);
    }
}
