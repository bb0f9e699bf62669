using System.Collections.Concurrent;
using Tandem.Core.Decisions;
using Tandem.Core.Running;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Experiments;

/// <summary>One recommended recourse: the change of each mutable feature and who proposed it.</summary>
public sealed record RecourseEntry(string Policy, int Run, int Step, int Arm, double[] Change, bool FromAdvisor);

/// <summary>
/// Records the recourses that chosen policies recommend (for the seed's Fig 4, 5 and 11). Thread-safe;
/// summaries sort entries first, so they do not depend on the order in which parallel runs finished.
/// </summary>
public sealed class RecourseRecorder : IStepObserver<double[], RecourseDecision, RecourseOutcome>
{
    private readonly RecourseProblem _problem;
    private readonly HashSet<string> _policies;
    private readonly int _fromStep;
    private readonly ConcurrentBag<RecourseEntry> _entries = [];

    /// <summary>Record <paramref name="policies"/> from step <paramref name="fromStep"/> (0-based) on.</summary>
    public RecourseRecorder(RecourseProblem problem, IEnumerable<string> policies, int fromStep = 0)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _policies = new HashSet<string>(policies, StringComparer.Ordinal);
        _fromStep = fromStep;
    }

    /// <inheritdoc />
    public bool OnStep(in StepRecord<double[], RecourseDecision, RecourseOutcome> step)
    {
        if (step.Step < _fromStep || !_policies.Contains(step.Policy)) return true;
        int[] mutable = _problem.MutableIndices;
        var change = new double[mutable.Length];
        for (int j = 0; j < mutable.Length; j++) change[j] = step.Decision.Recourse[mutable[j]] - step.Context[mutable[j]];
        _entries.Add(new RecourseEntry(step.Policy, step.Run, step.Step, step.Decision.Arm, change,
            step.Decision.Notes.Contains(DecisionNotes.AdvisorFollowed)));
        return true;
    }

    /// <summary>Entries of <paramref name="policy"/>, ordered by run then step.</summary>
    public IReadOnlyList<RecourseEntry> Entries(string policy) =>
        _entries.Where(e => e.Policy == policy).OrderBy(e => e.Run).ThenBy(e => e.Step).ToArray();

    /// <summary>Mean change of each mutable feature per arm ([arm][feature]; NaN where the arm was never
    /// chosen) and how often each arm was chosen.</summary>
    public (double[][] Mean, int[] Count) MeanChangeByArm(string policy)
    {
        int k = _problem.ArmCount, m = _problem.MutableIndices.Length;
        var sum = new double[k][];
        var count = new int[k];
        for (int a = 0; a < k; a++) sum[a] = new double[m];
        foreach (RecourseEntry e in Entries(policy))
        {
            count[e.Arm]++;
            for (int j = 0; j < m; j++) sum[e.Arm][j] += e.Change[j];
        }
        for (int a = 0; a < k; a++)
            for (int j = 0; j < m; j++) sum[a][j] = count[a] > 0 ? sum[a][j] / count[a] : double.NaN;
        return (sum, count);
    }
}
