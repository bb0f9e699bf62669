namespace Tandem.Rmab.Dlm;

/// <summary>A value the paper prints with its standard error.</summary>
/// <param name="Value">The printed value.</param>
/// <param name="Se">The printed standard error.</param>
public readonly record struct PaperValue(double Value, double Se);

/// <summary>Seed 001's Table 1 row of one task: precision and recall of the features used, zero-shot and with reflection.</summary>
public sealed record PaperFeatureRow(PaperValue PrecisionZeroShot, PaperValue PrecisionReflection, PaperValue RecallZeroShot, PaperValue RecallReflection);

/// <summary>
/// The numbers seed 001 prints for its 16 Table 3 tasks (Gemini Pro on ARMMAN's data, PPO planner), to set beside
/// Tandem's: Table 4 (mean normalised reward) and Table 1 (feature precision and recall). Only meaningful beside a run of
/// the shipped Table 3 tasks.
/// </summary>
public static class DlmPaper
{
    // Declared first: the tables below are built from it (static initialisers run in textual order).
    /// <summary>The methods Table 4 prints beside Base, in its order.</summary>
    public static IReadOnlyList<string> Methods { get; } = [DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];

    /// <summary>Table 4 per task index 0-15 and method key (<see cref="DlmMethods"/>): No Action, Default, DLM (No
    /// Reflection), DLM (Reflection). Base is 1.00 by definition.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, PaperValue>> Table4 { get; } = Rows(
        [(-0.02, 0.072), (0.41, 0.130), (0.91, 0.029), (0.99, 0.005)],
        [(-0.02, 0.073), (0.51, 0.122), (0.83, 0.046), (0.97, 0.014)],
        [(-0.12, 0.067), (0.71, 0.093), (0.79, 0.058), (0.98, 0.042)],
        [(-0.00, 0.073), (0.46, 0.124), (0.78, 0.063), (0.74, 0.058)],
        [(-0.02, 0.069), (0.52, 0.111), (1.00, 0.018), (0.92, 0.018)],
        [(-0.08, 0.067), (0.65, 0.097), (0.77, 0.057), (0.88, 0.044)],
        [(-0.07, 0.067), (0.50, 0.114), (0.87, 0.028), (0.97, 0.019)],
        [(0.03, 0.075), (0.40, 0.134), (0.95, 0.014), (0.98, 0.006)],
        [(-0.00, 0.074), (0.51, 0.115), (0.82, 0.036), (0.89, 0.023)],
        [(-0.11, 0.065), (0.69, 0.093), (0.81, 0.038), (0.87, 0.038)],
        [(-0.08, 0.068), (0.60, 0.104), (0.93, 0.022), (0.93, 0.015)],
        [(-0.12, 0.065), (0.70, 0.085), (0.87, 0.037), (0.96, 0.026)],
        [(-0.07, 0.066), (0.52, 0.109), (0.94, 0.020), (0.87, 0.025)],
        [(-0.11, 0.062), (0.72, 0.085), (0.92, 0.023), (0.91, 0.024)],
        [(-0.06, 0.070), (0.55, 0.111), (0.67, 0.057), (0.90, 0.031)],
        [(-0.14, 0.060), (0.64, 0.097), (0.79, 0.049), (0.92, 0.019)]);

    /// <summary>Table 4's printed Average row.</summary>
    public static IReadOnlyDictionary<string, PaperValue> Table4Average { get; } = Row([(-0.06, 0.017), (0.57, 0.027), (0.85, 0.008), (0.92, 0.006)]);

    /// <summary>Table 1 per task index 0-15.</summary>
    public static IReadOnlyList<PaperFeatureRow> Table1 { get; } =
    [
        F((0.49, 0.028), (0.54, 0.026), (0.72, 0.032), (0.84, 0.026)),
        F((0.27, 0.016), (0.29, 0.015), (0.64, 0.034), (0.72, 0.032)),
        F((0.93, 0.014), (0.87, 0.017), (1.00, 0.000), (1.00, 0.000)),
        F((0.45, 0.022), (0.45, 0.022), (0.87, 0.024), (0.92, 0.020)),
        F((0.81, 0.019), (0.84, 0.018), (0.89, 0.016), (0.94, 0.013)),
        F((0.48, 0.017), (0.54, 0.016), (0.74, 0.025), (0.84, 0.020)),
        F((0.07, 0.014), (0.11, 0.017), (0.11, 0.021), (0.17, 0.026)),
        F((0.33, 0.017), (0.38, 0.015), (0.67, 0.027), (0.80, 0.020)),
        F((0.78, 0.018), (0.83, 0.015), (0.65, 0.015), (0.74, 0.013)),
        F((0.41, 0.012), (0.42, 0.010), (0.46, 0.014), (0.51, 0.011)),
        F((0.93, 0.014), (0.93, 0.013), (0.43, 0.013), (0.54, 0.015)),
        F((0.87, 0.015), (0.84, 0.013), (0.97, 0.009), (0.98, 0.006)),
        F((0.93, 0.012), (0.95, 0.011), (0.96, 0.009), (0.99, 0.004)),
        F((0.97, 0.009), (0.96, 0.009), (0.98, 0.006), (1.00, 0.002)),
        F((0.96, 0.010), (0.94, 0.011), (0.98, 0.006), (0.99, 0.005)),
        F((0.04, 0.009), (0.06, 0.010), (0.09, 0.017), (0.13, 0.020)),
    ];

    private static IReadOnlyDictionary<string, PaperValue>[] Rows(params (double, double)[][] rows) => rows.Select(Row).ToArray();

    private static IReadOnlyDictionary<string, PaperValue> Row((double, double)[] cells) =>
        Methods.Select((m, i) => (m, v: new PaperValue(cells[i].Item1, cells[i].Item2))).ToDictionary(x => x.m, x => x.v);

    private static PaperFeatureRow F((double, double) pz, (double, double) pr, (double, double) rz, (double, double) rr) =>
        new(new(pz.Item1, pz.Item2), new(pr.Item1, pr.Item2), new(rz.Item1, rz.Item2), new(rr.Item1, rr.Item2));
}
