using System.Globalization;
using Tandem.Rmab.Planning;

namespace Tandem.Cli.Dlm;

/// <summary>Maps the planner options of `tandem dlm` and `tandem rmab plan` to PPO settings and planner factories; out-of-range settings become one-line usage errors.</summary>
public static class DlmPlanners
{
    /// <summary>The Lagrangian PPO planner with the authors' settings, optionally overriding the epochs and the learning rate.</summary>
    /// <param name="epochs">--ppo-epochs (≥ 1), or null for the default.</param>
    /// <param name="learningRate">--ppo-lr (&gt; 0), used for the actor and the critic, or null for the default.</param>
    public static Func<ulong, IRmabPlanner> Ppo(int? epochs, double? learningRate)
    {
        PpoOptions options = PpoSettings(epochs, learningRate);
        return seed => new PpoPlanner(options, seed);
    }

    /// <summary>Default training epochs for <paramref name="arms"/> arms: the authors' 40 for 48 arms or more, and for fewer
    /// as many as keep the arm-steps of training at 48 × 40 (a shared network trained on 4 arms for 40 epochs has seen
    /// too little to rank them; measured on the 4-beneficiary test programme).</summary>
    public static int EpochsFor(int arms) => Math.Max(new PpoOptions().Epochs, (int)Math.Ceiling(48.0 * new PpoOptions().Epochs / Math.Max(arms, 1)));

    /// <summary>The authors' PPO settings with the CLI's overrides, validated: a setting out of range is a one-line
    /// usage error naming the option.</summary>
    /// <param name="epochs">--ppo-epochs (≥ 1), or null for the default.</param>
    /// <param name="learningRate">--ppo-lr (&gt; 0), or null for the default.</param>
    public static PpoOptions PpoSettings(int? epochs, double? learningRate)
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
        return options;
    }
}
