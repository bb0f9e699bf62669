using Tandem.Rmab.History;

namespace Tandem.Rmab.Tests.History;

public sealed class HistoryValidationTests
{
    private static HistoryValidationOptions Small(ulong seed) => new()
    {
        Arms = 300, Budget = 30, Weeks = [2, 13, 52], Replicates = 2, Seed = seed, DataDirectory = Fixtures.DataDirectory,
    };

    [Fact]
    public void Validation_ErrorFallsAndTopBRisesWithWeeksObserved()
    {
        // The estimator must learn from history: more weeks, less error and more of the true top-B called; at a
        // year of history it must beat a random call list. Bug caught: counts dropped, pairs swapped, prior ignoring data.
        ValidationSummary s = HistoryValidation.Run(Small(3)).Summary;

        Assert.True(s.Rows[2].MeanAbsoluteError < s.Rows[0].MeanAbsoluteError, $"{s.Rows[2].MeanAbsoluteError} vs {s.Rows[0].MeanAbsoluteError}");
        Assert.True(s.Rows[2].TopBShare > s.Rows[0].TopBShare);
        Assert.True(s.Rows[2].TopBShare > s.Rows[2].TopBShareRandom);
        Assert.Equal(0.1, s.Rows[0].TopBShareRandom, 12);
        Assert.All(s.Rows, r => Assert.InRange(r.Coverage, 0, 1));
    }

    [Fact]
    public void Validation_SameSeed_SameNumbers()
    {
        Assert.Equal(HistoryValidation.Run(Small(9)).Summary.Rows, HistoryValidation.Run(Small(9)).Summary.Rows);
    }

    [Fact]
    public void Validation_WeeksMustIncrease_NamesTheField()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => HistoryValidation.Run(Small(1) with { Weeks = [4, 2] }));

        Assert.Equal("Weeks", ex.ParamName);
    }
}
