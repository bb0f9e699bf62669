namespace Tandem.Rmab.Planning;

/// <summary>
/// Which planner a study uses, as data: a catalog name (<see cref="RmabPlanners"/>) and the PPO settings when the
/// planner is PPO. A study described by a JSON document names its planner this way.
/// </summary>
public sealed record PlannerSpec
{
    /// <summary>Catalog name: "whittle" (default), "whittle-estimated", "ppo" or "ppo-estimated" (<see cref="RmabPlanners.Names"/>).</summary>
    public string Name { get; init; } = RmabPlanners.Whittle;

    /// <summary>Settings of a PPO planner; null: the authors' (<see cref="PpoOptions"/> defaults). Ignored by Whittle.</summary>
    public PpoOptions? Ppo { get; init; }

    /// <summary>The Whittle index planner on the true transitions.</summary>
    public static PlannerSpec Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming an unknown planner and the allowed ones, or
    /// <see cref="ArgumentOutOfRangeException"/> naming a PPO setting out of range.</summary>
    public void Validate()
    {
        _ = RmabPlanners.Find(Name);
        Ppo?.Validate();
    }
}

/// <summary>One planner of the catalog.</summary>
/// <param name="Name">Catalog name (lower case).</param>
/// <param name="Description">One line for help texts.</param>
/// <param name="EstimatedTransitions">True when the planner plans on transitions estimated from simulated history
/// (<see cref="Simulation.TransitionEstimator"/>) instead of the true ones.</param>
/// <param name="Create">Builds the planner of one study cell from the spec and a seed derived for that cell
/// (planners that do not draw ignore it).</param>
public sealed record RmabPlannerEntry(string Name, string Description, bool EstimatedTransitions, Func<PlannerSpec, ulong, IRmabPlanner> Create);

/// <summary>
/// The catalog of RMAB planners a study can name (a registry rather than a switch: a new planner is one more entry).
/// </summary>
public static class RmabPlanners
{
    /// <summary>"whittle": the Whittle index planner (how ARMMAN's deployed RMAB works) on the true transitions.</summary>
    public const string Whittle = "whittle";

    /// <summary>"whittle-estimated": Whittle on transitions estimated from 7 simulated weeks.</summary>
    public const string WhittleEstimated = "whittle-estimated";

    /// <summary>"ppo": the seed's Lagrangian PPO planner (Appendix F) on the true transitions.</summary>
    public const string Ppo = "ppo";

    /// <summary>"ppo-estimated": PPO on estimated transitions.</summary>
    public const string PpoEstimated = "ppo-estimated";

    private static readonly RmabPlannerEntry[] Entries =
    [
        new(Whittle, "Whittle index policy on the true transitions", false, (_, _) => new WhittlePlanner()),
        new(WhittleEstimated, "Whittle index policy on transitions estimated from 7 simulated weeks", true, (_, _) => new WhittlePlanner()),
        new(Ppo, "the seed's Lagrangian PPO (Appendix F) on the true transitions", false, (spec, seed) => new PpoPlanner(spec.Ppo ?? new PpoOptions(), seed)),
        new(PpoEstimated, "Lagrangian PPO on transitions estimated from 7 simulated weeks", true, (spec, seed) => new PpoPlanner(spec.Ppo ?? new PpoOptions(), seed)),
    ];

    /// <summary>Every planner, in display order.</summary>
    public static IReadOnlyList<RmabPlannerEntry> All => Entries;

    /// <summary>The catalog names, comma-separated, for messages.</summary>
    public static string Names => string.Join(", ", Entries.Select(e => e.Name));

    /// <summary>The entry named <paramref name="name"/> (case-insensitive); throws <see cref="ArgumentException"/>
    /// naming the unknown name and the allowed ones.</summary>
    public static RmabPlannerEntry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (RmabPlannerEntry e in Entries)
            if (string.Equals(e.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return e;
        throw new ArgumentException($"The planner '{name}' is unknown; allowed: {Names}.", nameof(name));
    }
}
