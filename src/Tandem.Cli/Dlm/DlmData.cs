using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;

namespace Tandem.Cli.Dlm;

/// <summary>The DLM data files the CLI ships (tasks and cohort parameters), loaded with a usage error for a bad file.</summary>
public static class DlmData
{
    /// <summary>The folder of tasks.json and cohort.json beside the executable.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "data", "dlm");

    /// <summary>The 16 tasks of seed 001 Table 3.</summary>
    public static DlmTaskSet LoadTasks()
    {
        try { return DlmTaskSet.Load(Path.Combine(Directory, "tasks.json")); }
        catch (Exception ex) when (ex is FormatException or IOException) { throw new UsageException(ex.Message); }
    }

    /// <summary>The cohort generator.</summary>
    public static CohortGenerator LoadGenerator()
    {
        try { return new CohortGenerator(CohortParameters.Load(Path.Combine(Directory, "cohort.json"))); }
        catch (Exception ex) when (ex is FormatException or IOException) { throw new UsageException(ex.Message); }
    }

    /// <summary>The shipped cohort (cohort.json's population, generated for seed 1), on which check-reward evaluates a reward.</summary>
    public static Beneficiary[] Cohort() => LoadGenerator().Population(1UL);

    /// <summary>A sample beneficiary for showing a reward's values.</summary>
    public static Beneficiary Sample() => LoadGenerator().Draw(new Xoshiro256(Seeds.Derive(1UL, "check-reward")));
}
