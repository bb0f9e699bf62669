using System.Collections.Immutable;
using Tandem.Core.Decisions;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests.Model;

public class RecourseDecisionTests
{
    private static RecourseDecision Make(double[] recourse, double width = 0.5) => new()
    {
        Id = new DecisionId(3),
        Time = DateTimeOffset.UnixEpoch,
        Arm = 1,
        Probabilities = ProbabilityVectors.OneHot(2, 1),
        Recourse = ImmutableArray.Create(recourse),
        ConfidenceWidth = width,
    };

    // Bug caught: ImmutableArray compares by reference, so the synthesized record equality said two decisions with the
    // same recourse (a restored policy's and the original's) were different.
    [Fact]
    public void Equality_ComparesTheRecourseByValue()
    {
        RecourseDecision a = Make([1.0, double.NaN, 3.0]), b = Make([1.0, double.NaN, 3.0]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Make([1.0, double.NaN, 3.5]));
        Assert.NotEqual(a, Make([1.0, double.NaN, 3.0], width: 0.6));
        Assert.NotEqual(a, b with { Arm = 0, Probabilities = ProbabilityVectors.OneHot(2, 0) });
    }
}
