using System.Text.Json.Nodes;
using Tandem.Reporting;

namespace Tandem.Reporting.Tests.Json;

public class OutputEnvelopeTests
{
    public sealed record Point(string Policy, int Step, double Value, double? Band);

    public sealed record Sample(string Name, IReadOnlyList<Point> Curve, IReadOnlyDictionary<string, double> Totals, ulong? Seed, bool Done, double[] Values);

    private static Sample Example() => new("x", [new Point("LIBRA", 1, 0.5, null), new Point("GLRB", 2, double.NaN, 0.1)],
        new Dictionary<string, double> { ["a"] = 1 }, 7, true, [1.5, double.NaN]);

    [Fact]
    public void Envelope_HasTheSameFieldsInTheSameOrder_ForEveryCommand()
    {
        var envelope = OutputEnvelope.Create("libra", new Dictionary<string, string> { ["--runs"] = "10", ["--env"] = "synthetic" }, 3UL, 1.25, Example());
        JsonObject root = JsonNode.Parse(JsonOutput.Serialize(envelope))!.AsObject();

        Assert.Equal(["command", "version", "settings", "seed", "wallSeconds", "results"], root.Select(p => p.Key).ToArray());
        Assert.Equal("libra", (string)root["command"]!);
        Assert.Equal(OutputEnvelope.Version, (string)root["version"]!);
        Assert.DoesNotContain("+", OutputEnvelope.Version, StringComparison.Ordinal);
        // Settings are sorted by name, so two runs with the same settings write the same bytes.
        Assert.Equal(["--env", "--runs"], root["settings"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal("x", (string)root["results"]!["name"]!);
    }

    [Fact]
    public void Envelope_RefusesANegativeWallTime_AndAnEmptyCommand()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputEnvelope.Create("x", null, null, double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputEnvelope.Create("x", null, null, -1, 1));
        Assert.Throws<ArgumentException>(() => OutputEnvelope.Create(" ", null, null, 0, 1));
    }

    [Fact]
    public void ExportedSchema_AcceptsWhatJsonOutputWrites_IncludingNaNAsNull()
    {
        JsonObject schema = JsonSchemas.For<OutputEnvelope<Sample>>("sample --json");
        JsonNode written = JsonNode.Parse(JsonOutput.Serialize(OutputEnvelope.Create("sample", null, null, 0, Example())))!;

        Assert.Empty(SchemaValidator.Validate(schema, written));
        Assert.Equal("sample --json", (string)schema["title"]!);
    }

    [Theory]
    [InlineData("results.name", "42", "$.results.name: integer where the schema allows string")]
    [InlineData("results.curve", "{}", "$.results.curve: object where the schema allows array")]
    [InlineData("results.done", "\"yes\"", "$.results.done: string where the schema allows boolean")]
    [InlineData("results.curve.0.step", "1.5", "$.results.curve[0].step: number where the schema allows integer")]
    [InlineData("results.extra", "1", "$.results: the field 'extra' is not in the schema")]
    [InlineData("results.totals.b", "\"q\"", "$.results.totals.b: string where the schema allows number or null")]
    [InlineData("results.values.1", "true", "$.results.values[1]: boolean where the schema allows number or null")]
    public void Validator_NamesThePathAndTheProblem(string path, string json, string expected)
    {
        JsonObject schema = JsonSchemas.For<OutputEnvelope<Sample>>("sample");
        JsonNode written = JsonNode.Parse(JsonOutput.Serialize(OutputEnvelope.Create("sample", null, null, 0, Example())))!;
        string[] parts = path.Split('.');
        JsonNode parent = written;
        foreach (string p in parts[..^1]) parent = int.TryParse(p, out int i) ? parent[i]! : parent[p]!;
        if (parent is JsonArray array) array[int.Parse(parts[^1])] = JsonNode.Parse(json);
        else parent[parts[^1]] = JsonNode.Parse(json);

        IReadOnlyList<string> errors = SchemaValidator.Validate(schema, written);
        Assert.True(errors.Contains(expected), string.Join(" | ", errors) + " || " + schema["properties"]!["results"]!.ToJsonString());
    }

    [Fact]
    public void Validator_ReportsAMissingRequiredField()
    {
        JsonObject schema = JsonSchemas.For<OutputEnvelope<Sample>>("sample");
        JsonNode written = JsonNode.Parse(JsonOutput.Serialize(OutputEnvelope.Create("sample", null, null, 0, Example())))!;
        written["results"]!.AsObject().Remove("seed");

        Assert.Contains("$.results: the required field 'seed' is missing", SchemaValidator.Validate(schema, written));
    }

    [Fact]
    public void Validator_RefusesKeywordsItDoesNotImplement_RatherThanPassing()
    {
        var schema = new JsonObject { ["type"] = "string", ["pattern"] = "^a" };
        Assert.Throws<NotSupportedException>(() => SchemaValidator.Validate(schema, JsonValue.Create("b")));
    }

    [Fact]
    public void Validator_FollowsRefsAndEnums()
    {
        JsonNode schema = JsonNode.Parse("""
            { "$defs": { "kind": { "enum": ["a", "b"] } }, "type": "object",
              "properties": { "k": { "$ref": "#/$defs/kind" } }, "required": ["k"] }
            """)!;
        Assert.Empty(SchemaValidator.Validate(schema, JsonNode.Parse("""{ "k": "a" }""")));
        Assert.Equal(["$.k: \"c\" is not one of [\"a\",\"b\"]"], SchemaValidator.Validate(schema, JsonNode.Parse("""{ "k": "c" }""")));
    }
}
