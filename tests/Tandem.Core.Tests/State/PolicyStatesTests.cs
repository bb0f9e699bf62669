using System.Text.Json;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Tests.State;

public class PolicyStatesTests
{
    private sealed record Sample(double[] Values, string Name);

    [Fact]
    public void PackUnpack_RoundTripsThroughJson_IncludingNaNAndInfinity()
    {
        PolicyState state = PolicyStates.Pack("sample", 3, new Sample([1.5, double.NaN, double.PositiveInfinity], "x"));

        PolicyState back = PolicyStates.Deserialize(PolicyStates.Serialize(state));
        Sample data = PolicyStates.Unpack<Sample>(back, "sample", 3);

        Assert.Equal("sample", back.Kind);
        Assert.Equal(3, back.Version);
        Assert.Equal(1.5, data.Values[0]);
        Assert.True(double.IsNaN(data.Values[1]));
        Assert.Equal(double.PositiveInfinity, data.Values[2]);
    }

    [Fact]
    public void Unpack_OtherKind_NamesBoth()
    {
        PolicyState state = PolicyStates.Pack("linucb", 1, new Sample([], "x"));

        var ex = Assert.Throws<PolicyStateException>(() => PolicyStates.Unpack<Sample>(state, "glrb", 1));

        Assert.Contains("'linucb'", ex.Message);
        Assert.Contains("'glrb'", ex.Message);
    }

    [Fact]
    public void Unpack_OtherVersion_NamesBoth()
    {
        PolicyState state = PolicyStates.Pack("glrb", 2, new Sample([], "x"));

        var ex = Assert.Throws<PolicyStateException>(() => PolicyStates.Unpack<Sample>(state, "glrb", 1));

        Assert.Contains("version 2", ex.Message);
        Assert.Contains("version 1", ex.Message);
    }

    [Fact]
    public void Deserialize_Truncated_IsAPolicyStateException()
    {
        string json = PolicyStates.Serialize(PolicyStates.Pack("glrb", 1, new Sample([1, 2, 3], "x")));

        var ex = Assert.Throws<PolicyStateException>(() => PolicyStates.Deserialize(json[..(json.Length / 2)]));

        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Unpack_WrongShape_IsAPolicyStateException()
    {
        var state = new PolicyState("sample", 1, JsonSerializer.SerializeToElement(new { values = "not an array" }));

        Assert.Throws<PolicyStateException>(() => PolicyStates.Unpack<Sample>(state, "sample", 1));
    }

    [Fact]
    public void Random_ExportImport_ContinuesTheSameStream()
    {
        Random original = Seeds.CreateRandom(42);
        for (int i = 0; i < 17; i++) original.NextDouble();
        ulong[] saved = PolicyStates.ExportRandom(original);
        Random copy = Seeds.CreateRandom(0);

        PolicyStates.ImportRandom(copy, saved);

        for (int i = 0; i < 100; i++) Assert.Equal(original.NextDouble(), copy.NextDouble());
    }

    [Fact]
    public void Random_SystemRandom_CannotBeSaved()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => PolicyStates.ExportRandom(new Random(1)));
        Assert.Contains("Seeds.CreateRandom", ex.Message);
    }

    [Fact]
    public void Random_AllZeroOrShortState_Refused()
    {
        Assert.Throws<PolicyStateException>(() => PolicyStates.ValidateRandom([0, 0, 0, 0]));
        Assert.Throws<PolicyStateException>(() => PolicyStates.ValidateRandom([1, 2]));
    }
}
