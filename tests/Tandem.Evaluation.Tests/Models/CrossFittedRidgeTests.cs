using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;

namespace Tandem.Evaluation.Tests.Models;

public class CrossFittedRidgeTests
{
    private static LoggedDecision Line(long n, double x, int arm, double reward, string? cell = null) =>
        new(n, 0, n, cell is null ? [x] : null, cell, arm, 0.5, [0.5, 0.5], reward, null);

    private static readonly LoggedDecision[] Data =
    [.. Enumerable.Range(1, 40).Select(i => Line(i, Math.Sin(i), i % 2, 1 + 2 * Math.Sin(i) * (i % 2 == 0 ? 1 : -1) + 0.1 * Math.Cos(7 * i)))];

    /// <summary>An independent slow fit: ridge with an unpenalised intercept on arm a's training lines, from the
    /// centred data: β = Σ(x − x̄)(y − ȳ) / (Σ(x − x̄)² + λ), q̂ = ȳ + (x − x̄)β; no line of the arm: the training mean.</summary>
    private static double SlowPredict(IEnumerable<LoggedDecision> training, double lambda, double x, int arm)
    {
        var t = training.ToList();
        var mine = t.Where(l => l.Arm == arm).ToList();
        if (mine.Count == 0) return t.Average(l => l.Reward);
        double mx = mine.Average(l => l.Features![0]), my = mine.Average(l => l.Reward);
        double beta = mine.Sum(l => (l.Features![0] - mx) * (l.Reward - my)) / (mine.Sum(l => (l.Features![0] - mx) * (l.Features![0] - mx)) + lambda);
        return my + (x - mx) * beta;
    }

    private static CrossFittedRidge Fit(IEnumerable<LoggedDecision> lines, bool cells = false, int folds = 3, double lambda = 0.7)
    {
        var model = new CrossFittedRidge(2, cells ? 0 : 1, cells, folds, lambda, seed: 5);
        foreach (LoggedDecision l in lines) model.Add(l);
        model.Fit();
        return model;
    }

    [Fact]
    public void Predict_EachLine_EqualsTheSlowFitOnTheOtherFolds()
    {
        CrossFittedRidge model = Fit(Data);
        var q = new double[2];

        foreach (LoggedDecision line in Data)
        {
            model.Predict(line, q);
            int fold = model.FoldOf(line.Line);
            var training = Data.Where(l => model.FoldOf(l.Line) != fold);
            Assert.Equal(SlowPredict(training, 0.7, line.Features![0], 0), q[0], 10);
            Assert.Equal(SlowPredict(training, 0.7, line.Features![0], 1), q[1], 10);
        }
    }

    [Fact]
    public void PredictFull_EqualsTheSlowFitOnEveryLine()
    {
        CrossFittedRidge model = Fit(Data);
        var q = new double[2];

        model.PredictFull(Line(99, 0.3, 0, 0), q);

        Assert.Equal(SlowPredict(Data, 0.7, 0.3, 1), q[1], 10);
    }

    [Fact]
    public void Folds_AreAllUsed_AndFollowTheSeed()
    {
        CrossFittedRidge model = Fit(Data);
        var other = new CrossFittedRidge(2, 1, false, 3, 0.7, seed: 6);

        Assert.Equal(3, Data.Select(l => model.FoldOf(l.Line)).Distinct().Count());
        Assert.NotEqual(Data.Select(l => model.FoldOf(l.Line)), Data.Select(l => other.FoldOf(l.Line)));
    }

    [Fact]
    public void Cells_ShrinkTheCellMeanTowardTheArmMean()
    {
        LoggedDecision[] lines = [.. Enumerable.Range(1, 30).Select(i => Line(i, 0, i % 2, i % 3, cell: i % 5 == 0 ? "b" : "a"))];
        CrossFittedRidge model = Fit(lines, cells: true, lambda: 2);
        var q = new double[2];

        foreach (LoggedDecision line in lines)
        {
            model.Predict(line, q);
            var training = lines.Where(l => model.FoldOf(l.Line) != model.FoldOf(line.Line)).ToList();
            double armMean = training.Where(l => l.Arm == 1).Average(l => l.Reward);
            var same = training.Where(l => l.Cell == line.Cell && l.Arm == 1).ToList();
            Assert.Equal(armMean + same.Sum(l => l.Reward - armMean) / (same.Count + 2), q[1], 12);
        }
    }

    [Fact]
    public void ArmWithoutLines_PredictsTheTrainingMean()
    {
        LoggedDecision[] lines = [.. Enumerable.Range(1, 10).Select(i => Line(i, i, 0, i))];
        CrossFittedRidge model = Fit(lines);
        var q = new double[2];

        model.PredictFull(Line(50, 100, 0, 0), q);

        Assert.Equal(5.5, q[1], 12);
    }

    [Fact]
    public void UnseenCell_PredictsTheArmMean()
    {
        LoggedDecision[] lines = [.. Enumerable.Range(1, 10).Select(i => Line(i, 0, i % 2, 3, cell: "a"))];
        CrossFittedRidge model = Fit(lines, cells: true);
        var q = new double[2];

        model.PredictFull(Line(50, 0, 0, 0, cell: "zzz"), q);

        Assert.Equal([3.0, 3.0], q);
    }
}
