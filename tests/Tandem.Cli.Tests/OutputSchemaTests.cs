using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Cli.Commands;
using Tandem.Reporting;

namespace Tandem.Cli.Tests;

/// <summary>One output convention (issue 18 item 5, docs/outputs.md): every command's --json output and summary.json is
/// the same envelope, described by a published schema that matches the code, and every command's output conforms.</summary>
public sealed class OutputSchemaTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out(string name) => Path.Combine(_dir, name);

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tandem.slnx"))) return d.FullName;
        throw new InvalidOperationException("Tandem.slnx not found above the test's folder.");
    }

    [Fact]
    public void PublishedSchemas_AreWhatTheCodeExports_OneFilePerOutput()
    {
        // Catches a summary type that changed without `tandem schema --write docs/schemas`.
        string folder = Path.Combine(RepositoryRoot(), "docs", "schemas");
        Assert.Equal(SchemaCommand.Outputs.Keys.Select(k => k + ".schema.json").Order(StringComparer.Ordinal),
            Directory.GetFiles(folder, "*.schema.json").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string name in SchemaCommand.Outputs.Keys)
            Assert.True(JsonSchemas.Text(SchemaCommand.For(name)) == File.ReadAllText(Path.Combine(folder, name + ".schema.json")),
                $"docs/schemas/{name}.schema.json is out of date: run `tandem schema --write docs/schemas`.");
    }

    public static TheoryData<string, string, string[]> Commands => new()
    {
        { "libra", "libra", ["libra", "--env", "synthetic", "--runs", "2", "--horizon", "20"] },
        { "libra", "demo", ["demo", "--runs", "2", "--horizon", "20"] },
        { "libra-ablation", "libra ablation", ["libra", "ablation", "--env", "synthetic", "--vary", "delta", "--values", "0.5,1", "--runs", "2", "--horizon", "20"] },
        { "dlm", "dlm", ["dlm", "--tasks", "0", "--seeds", "2", "--arms", "24", "--budget", "6", "--stages", "1", "--candidates", "2", "--trials", "2", "--steps", "3"] },
        { "gambitts", "gambitts", ["gambitts", "--experiment", "illustrative", "--runs", "2", "--horizon", "20"] },
        { "ope-validate", "ope", ["ope", "--validate", "--repetitions", "2", "--lines", "100", "--bootstrap", "20", "--estimators", "ips,dr"] },
        { "rmab-estimate-validate", "rmab estimate", ["rmab", "estimate", "--validate", "--beneficiaries", "100", "--budget", "10", "--weeks", "2", "--replicates", "1"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task EveryCommandsJson_IsTheEnvelope_AndConformsToItsSchema(string schema, string command, string[] args)
    {
        var (exit, stdout, stderr) = await CliRunner.Run([.. args, "--json", "--out", Out(schema + command.Replace(' ', '-'))]);
        Assert.True(exit == 0, stderr);
        AssertEnvelope(schema, command, stdout);
        // The settings record the options as given (catches an envelope whose settings stay empty or keep defaults only).
        JsonObject settings = JsonNode.Parse(stdout)!["settings"]!.AsObject();
        foreach (string option in new[] { "--runs", "--seeds", "--repetitions", "--replicates" })
            if (Array.IndexOf(args, option) is int at and >= 0) Assert.Equal(args[at + 1], (string)settings[option]!);
        // summary.json holds the same envelope (up to the wall time, which the printed copy shares).
        JsonNode written = JsonNode.Parse(File.ReadAllText(Path.Combine(Out(schema + command.Replace(' ', '-')), "summary.json")))!;
        Assert.Equal(JsonNode.Parse(stdout)!["results"]!.ToJsonString(), written["results"]!.ToJsonString());
    }

    [Fact]
    public async Task CommandsWithoutAnOutputFolder_PrintTheEnvelopeToo()
    {
        string arms = Path.Combine(AppContext.BaseDirectory, "data", "dlm", "example-arms.json");
        var whittle = await CliRunner.Run("rmab", "whittle", "--arms", arms, "--json");
        Assert.True(whittle.Exit == 0, whittle.Err);
        AssertEnvelope("rmab-whittle", "rmab whittle", whittle.Out);

        string beneficiaries = Path.Combine(AppContext.BaseDirectory, "data", "dlm", "example-beneficiaries.csv");
        var plan = await CliRunner.Run("rmab", "plan", "--arms", beneficiaries, "--budget", "1", "--task", "0", "--json");
        Assert.True(plan.Exit == 0, plan.Err);
        AssertEnvelope("rmab-plan", "rmab plan", plan.Out);

        var check = await CliRunner.Run("dlm", "check-reward", "--expr", "state * (1.0 + feats[11])", "--json");
        Assert.True(check.Exit == 0, check.Err);
        AssertEnvelope("dlm-check-reward", "dlm check-reward", check.Out);
    }

    [Fact]
    public async Task RmabEstimateAndOpe_ConformToTheirSchemas()
    {
        var sb = new StringBuilder("id,week,engaged,called,age_51_60\n");
        for (int t = 0; t < 6; t++)
            for (int i = 0; i < 30; i++)
                sb.Append(CultureInfo.InvariantCulture, $"m{i},{t},{((i * 7 + t * 3) % 5 < 2 ? 1 : 0)},{((i + t) % 4 == 0 ? 1 : 0)},{(i % 3 == 0 ? 1 : 0)}\n");
        string history = Out("history.csv");
        File.WriteAllText(history, sb.ToString());
        var estimate = await CliRunner.Run("rmab", "estimate", "--history", history, "--out", Out("est"), "--json");
        Assert.True(estimate.Exit == 0, estimate.Err);
        AssertEnvelope("rmab-estimate", "rmab estimate", estimate.Out);

        string log = Out("log.jsonl");
        var study = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--runs", "1", "--horizon", "60", "--agents", "stdts", "--log", log, "--out", Out("g"));
        Assert.True(study.Exit == 0, study.Err);
        var ope = await CliRunner.Run("ope", "--log", log, "--policy", "uniform", "--bootstrap", "0", "--estimators", "ips", "--json", "--out", Out("ope"));
        Assert.True(ope.Exit == 0, ope.Err);
        AssertEnvelope("ope", "ope", ope.Out);
    }

    [Fact]
    public async Task SchemaCommand_ListsPrintsAndRefusesUnknownNames()
    {
        var list = await CliRunner.Run("schema");
        Assert.Equal(0, list.Exit);
        foreach (string name in SchemaCommand.Outputs.Keys) Assert.Contains(name, list.Out);
        var one = await CliRunner.Run("schema", "dlm");
        Assert.Equal(JsonSchemas.Text(SchemaCommand.For("dlm")), one.Out);
        CliRunner.AssertUsageError(await CliRunner.Run("schema", "nope"), "schema 'nope' is unknown; allowed: batch-regret, dlm,");
    }

    private static void AssertEnvelope(string schema, string command, string stdout)
    {
        JsonNode root = JsonNode.Parse(stdout)!;
        Assert.Equal(["command", "version", "settings", "seed", "wallSeconds", "results"], root.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(command, (string)root["command"]!);
        Assert.Equal(OutputEnvelope.Version, (string)root["version"]!);
        Assert.DoesNotContain("--json", root["settings"]!.AsObject().Select(p => p.Key));
        IReadOnlyList<string> errors = SchemaValidator.Validate(SchemaCommand.For(schema), root);
        Assert.True(errors.Count == 0, $"{command} --json breaks docs/schemas/{schema}.schema.json: " + string.Join(" | ", errors.Take(10)));
    }
}
