using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Randomness;

public class SeedsTests
{
    [Fact]
    public void Derive_ByIndex_IsDeterministic_AndDistinctAcrossIndices()
    {
        ulong[] first = Enumerable.Range(0, 1000).Select(i => Seeds.Derive(42UL, i)).ToArray();
        ulong[] second = Enumerable.Range(0, 1000).Select(i => Seeds.Derive(42UL, i)).ToArray();

        Assert.Equal(first, second);
        Assert.Equal(first.Length, first.Distinct().Count());
    }

    [Fact]
    public void Derive_ByPurpose_IsDeterministic_AndDistinctAcrossPurposes()
    {
        string[] purposes = ["environment", "advisor", "policy", "noise", "Environment", ""];
        ulong[] seeds = purposes.Select(p => Seeds.Derive(7UL, p)).ToArray();

        Assert.Equal(seeds, purposes.Select(p => Seeds.Derive(7UL, p)).ToArray());
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
    }

    [Fact]
    public void Derive_DifferentParentSeeds_GiveDifferentChildren()
    {
        Assert.NotEqual(Seeds.Derive(1UL, 0), Seeds.Derive(2UL, 0));
        Assert.NotEqual(Seeds.Derive(1UL, "environment"), Seeds.Derive(2UL, "environment"));
    }

    [Fact]
    public void Derive_NullPurpose_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => Seeds.Derive(1UL, null!));
        Assert.Equal("purpose", ex.ParamName);
    }

    [Fact]
    public void CreateRandom_SameSeed_SameStream()
    {
        Random a = Seeds.CreateRandom(9), b = Seeds.CreateRandom(9);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextDouble(), b.NextDouble());
    }
}
