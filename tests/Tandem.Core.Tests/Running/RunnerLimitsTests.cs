using Tandem.Core.Running;

namespace Tandem.Core.Tests.Running;

// Issue 15, defect 19: `--horizon 2147483647` ran out of memory with "unexpected OutOfMemoryException".
public class RunnerLimitsTests
{
    [Theory]
    [InlineData(RunnerOptions.MaxHorizon + 1, 1, "Horizon")]
    [InlineData(10, RunnerOptions.MaxRuns + 1, "Runs")]
    public void Validate_AboveTheLimits_NamesTheOption(int horizon, int runs, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RunnerOptions { Horizon = horizon, Runs = runs }.Validate());
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void CheckCells_TooManyCells_SaysHowMany()
    {
        var options = new RunnerOptions { Horizon = 1_000_000, Runs = 10 };

        options.CheckCells(policies: 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.CheckCells(policies: 3));

        Assert.Equal("Horizon", ex.ParamName);
        Assert.Contains("30,000,000 cells", ex.Message);
    }
}
