using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class GlrbOptionsTests
{
    // Issue 11: with the random guard, GLRB ran Algorithm 2 while the options (and the study summary) said
    // Proposition 1's global solver. A combination that cannot be honoured is refused, naming the solver.
    [Theory]
    [InlineData(NonComplianceGuard.Random)]
    [InlineData(NonComplianceGuard.Adversarial)]
    public void GlobalSolver_WithANonComplianceGuard_IsRefused(NonComplianceGuard guard)
    {
        var options = new GlrbOptions { Solver = OroSolverKind.Global, Guard = guard, Epsilon = 0.2 };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Solver", ex.ParamName);
    }

    [Fact]
    public void GlobalSolver_WithoutAGuard_IsAccepted() =>
        new GlrbOptions { Solver = OroSolverKind.Global }.Validate();
}
