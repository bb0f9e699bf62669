using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans.Tests;

/// <summary>The hot path's wire form between silos (GrainWire.cs): a decision and a reward cross as Orleans records, not
/// JSON text, and must come out as the same API JSON; a checked context crosses as the vector the front end read.</summary>
public sealed class GrainWireTests
{
    private static readonly JsonSerializerOptions Api = new(JsonSerializerDefaults.Web);

    private static T RoundTrip<T>(T value)
    {
        using ServiceProvider services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(GrainContext).Assembly)).BuildServiceProvider();
        Serializer serializer = services.GetRequiredService<Serializer>();
        return serializer.Deserialize<T>(serializer.SerializeToArray(value))!;
    }

    [Fact]
    public void DecisionAndReward_CrossSilos_AsTheSameApiJson()
    {
        // Catches a surrogate that drops or swaps a field, loses a null propensity or probability, or re-encodes the payload.
        using var payload = JsonDocument.Parse("""{"recourse":[0.5,-1.25e-7,3],"confidenceWidth":null,"name":"é\"x"}""");
        var decision = new DecisionView("42", 3, "arm3", null, [0.1, null, 0.9], ["safe-default", "worker"], 17, payload.RootElement.Clone());
        var reward = new RewardView("42", -0.75, false, ["unknown-decision"], 18);
        var reply = new GrainReply { Decision = decision, Reward = reward, PublishedVersion = 5 };

        GrainReply back = RoundTrip(reply);

        Assert.NotSame(decision, back.Decision);
        Assert.Equal(JsonSerializer.Serialize(decision, Api), JsonSerializer.Serialize(back.Decision, Api));
        Assert.Equal(JsonSerializer.Serialize(reward, Api), JsonSerializer.Serialize(back.Reward, Api));
        Assert.Equal(5, back.PublishedVersion);
    }

    [Fact]
    public void CheckedContext_CrossesAsTheVectorRead_OrAsItsJson()
    {
        // Catches a context that the grain would parse again, or one that loses its values on the way.
        using var raw = JsonDocument.Parse("""[0.5, -2]""");
        double[] numbers = [0.5, -2];
        GrainContext vector = GrainContext.Of(numbers, raw.RootElement);
        Assert.Null(vector.Json);
        Assert.Same(numbers, vector.Read(_ => throw new InvalidOperationException("parsed twice")));
        Assert.Equal(numbers, (double[])RoundTrip(vector).Read(_ => throw new InvalidOperationException("parsed twice")));

        byte[] states = [0, 1, 1];
        Assert.Equal(states, (byte[])RoundTrip(GrainContext.Of(states, raw.RootElement)).Read(_ => throw new InvalidOperationException("parsed twice")));

        using var name = JsonDocument.Parse("\"morning\"");
        GrainContext named = RoundTrip(GrainContext.Of(new object(), name.RootElement));
        Assert.Equal("morning", named.Read(e => e.GetString()!));
        Assert.Equal(JsonValueKind.Undefined, GrainContext.Of(new object(), default).Read(e => e.ValueKind));
    }
}
