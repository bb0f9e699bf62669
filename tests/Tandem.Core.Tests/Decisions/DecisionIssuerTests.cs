using Tandem.Core.Decisions;
using Tandem.Core.State;

namespace Tandem.Core.Tests.Decisions;

public class DecisionIssuerTests
{
    [Fact]
    public void Issue_GivesIncreasingIdsStampedByTheClock()
    {
        var clock = new FixedTime(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        var issuer = new DecisionIssuer(clock);

        DecisionStamp first = issuer.Issue();
        clock.Now = clock.Now.AddMinutes(5);
        DecisionStamp second = issuer.Issue();

        Assert.Equal(new DecisionId(1), first.Id);
        Assert.Equal(new DecisionId(2), second.Id);
        Assert.Equal(clock.Now.AddMinutes(-5), first.Time);
        Assert.Equal(clock.Now, second.Time);
        Assert.Equal(2, issuer.PendingCount);
    }

    [Fact]
    public void EnsurePending_NeverIssued_SaysSo()
    {
        var issuer = new DecisionIssuer();
        issuer.Issue();

        var ex = Assert.Throws<UnknownDecisionException>(() => issuer.EnsurePending(new DecisionId(7)));

        Assert.Contains("never issued", ex.Message);
        Assert.Equal("decision", ex.ParamName);
    }

    [Fact]
    public void EnsurePending_AfterSettle_SaysAlreadyLearned()
    {
        var issuer = new DecisionIssuer();
        DecisionStamp stamp = issuer.Issue();
        issuer.EnsurePending(stamp.Id);
        issuer.Settle(stamp.Id);

        var ex = Assert.Throws<UnknownDecisionException>(() => issuer.EnsurePending(stamp.Id));

        Assert.Contains("already been learned", ex.Message);
        Assert.Equal(0, issuer.PendingCount);
    }

    [Fact]
    public void ExportImport_KeepsThePendingSetAndTheNextId()
    {
        var issuer = new DecisionIssuer();
        DecisionStamp a = issuer.Issue(), b = issuer.Issue(), c = issuer.Issue();
        issuer.Settle(b.Id);

        var restored = new DecisionIssuer();
        restored.Import(issuer.Export());

        restored.EnsurePending(a.Id);
        restored.EnsurePending(c.Id);
        Assert.Throws<UnknownDecisionException>(() => restored.EnsurePending(b.Id));
        Assert.Equal(new DecisionId(4), restored.Issue().Id);
    }

    [Theory]
    [InlineData(0L, new long[0])]
    [InlineData(3L, new long[] { 3 })]
    [InlineData(3L, new long[] { 0 })]
    public void Import_OutOfRange_RefusedAndUnchanged(long next, long[] pending)
    {
        var issuer = new DecisionIssuer();
        DecisionStamp a = issuer.Issue();

        Assert.Throws<PolicyStateException>(() => issuer.Import(new DecisionIssuerState(next, pending)));

        issuer.EnsurePending(a.Id);
        Assert.Equal(new DecisionId(2), issuer.Issue().Id);
    }
}
