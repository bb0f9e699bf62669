using System.Text.Json;
using Tandem.Rmab.Dlm;

namespace Tandem.Rmab.Tests.Dlm;

public class DlmDecisionLogTests
{
    private static readonly DlmExperimentOptions Tiny = new() { Seeds = 2, Arms = 12, Budget = 4, Stages = 1, Candidates = 2, Trials = 3, Steps = 4, Tasks = [0, 8], MaxDegreeOfParallelism = 2 };

    [Fact]
    public async Task EveryEvaluatedStepIsOneLine_WithItsCalls_AndTheStepRewardsRebuildTheReturns_AndNoNumberChanges()
    {
        DlmExperimentResult plain = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Tiny);
        var writer = new StringWriter();
        DlmExperimentResult logged;
        using (var log = new DlmDecisionLog(writer))
        {
            logged = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Tiny, log: log);
            Assert.Equal(2L * 2 * DlmMethods.All.Count * 3 * 4, log.Lines); // tasks × seeds × methods × trials × steps
        }
        for (int t = 0; t < 2; t++)
            foreach (string m in DlmMethods.All) Assert.Equal(plain.Tasks[t].Returns[m], logged.Tasks[t].Returns[m]);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.All(lines, l =>
        {
            int[] calls = l.GetProperty("calls").EnumerateArray().Select(c => c.GetInt32()).ToArray();
            string method = l.GetProperty("method").GetString()!;
            Assert.True(calls.Length <= 4, "at most the budget");
            Assert.Equal(calls.Order().Distinct(), calls);
            if (method == DlmMethods.NoAction) { Assert.Empty(calls); Assert.True(l.GetProperty("deterministic").GetBoolean()); }
            if (method == DlmMethods.Random) { Assert.Equal(4, calls.Length); Assert.False(l.GetProperty("deterministic").GetBoolean()); }
        });
        // The discounted sum of logged step rewards, averaged over trials, is the method's return for that (task, seed).
        foreach (var group in lines.GroupBy(l => (Method: l.GetProperty("method").GetString()!, Task: l.GetProperty("task").GetInt32(), Seed: l.GetProperty("seed").GetInt32())))
        {
            double total = group.Sum(l => Math.Pow(0.9, l.GetProperty("step").GetInt32()) * l.GetProperty("reward").GetDouble()) / 3;
            int taskRow = group.Key.Task == 0 ? 0 : 1;
            Assert.Equal(logged.Tasks[taskRow].Returns[group.Key.Method][group.Key.Seed], total, 9);
        }
    }
}
