using System.Diagnostics;
using System.Text.Json;

namespace Tandem.Reporting.Tests.Runs;

public class RunManifestTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Redact_OptionValueAfterSecretName_IsHidden()
    {
        var redacted = RunManifest.Redact(["simulate", "--api-key", "sk-123", "--seed", "42"]);
        Assert.Equal(["simulate", "--api-key", "***", "--seed", "42"], redacted);
    }

    [Fact]
    public void Redact_EnvironmentStyleAndInlineSecrets_AreHidden()
    {
        var redacted = RunManifest.Redact(
            ["OPENAI_KEY=abc123", "--token=xyz", "--Password", "hunter2", "sk-live-999", "--model=sk-abc", "--steps=500", "HOME=/root"]);
        Assert.Equal(
            ["OPENAI_KEY=***", "--token=***", "--Password", "***", "***", "--model=***", "--steps=500", "HOME=/root"],
            redacted);
    }

    [Fact]
    public void Redact_SecretOptionFollowedByOption_DoesNotHideTheOption()
    {
        Assert.Equal(["--use-key", "--seed", "1"], RunManifest.Redact(["--use-key", "--seed", "1"]));
    }

    [Fact]
    public void Redact_IsIdempotent()
    {
        string[] args = ["--api-key", "sk-1", "OPENAI_KEY=x"];
        var once = RunManifest.Redact(args);
        Assert.Equal(once, RunManifest.Redact(once));
    }

    [Fact]
    public void Capture_RedactsArgumentsAndExtras_AndFillsEnvironment()
    {
        var manifest = RunManifest.Capture(
            "tandem simulate", ["--api-key", "sk-123", "--steps", "10"], seed: 42, Start, wallSeconds: 1.5,
            new Dictionary<string, string> { ["model"] = "gpt-x", ["openaiApiKey"] = "abc", ["endpoint"] = "sk-zzz" });

        Assert.Equal(["--api-key", "***", "--steps", "10"], manifest.Arguments);
        Assert.Equal("gpt-x", manifest.Extra["model"]);
        Assert.Equal("***", manifest.Extra["openaiApiKey"]);
        Assert.Equal("***", manifest.Extra["endpoint"]);
        Assert.Equal(42UL, manifest.Seed);
        Assert.Equal(Start, manifest.StartedAt);
        Assert.False(string.IsNullOrWhiteSpace(manifest.Runtime));
        Assert.False(string.IsNullOrWhiteSpace(manifest.Os));
        Assert.False(string.IsNullOrWhiteSpace(manifest.ToolVersion));
    }

    [Fact]
    public void Capture_NegativeWallTime_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RunManifest.Capture("c", [], 1, Start, -1));
        Assert.Equal("wallSeconds", ex.ParamName);
    }

    [Fact]
    public void Write_IsIndentedCamelCaseJson_AndRedactsAgain()
    {
        using var temp = new TempFolder();
        string path = temp.File("run/manifest.json");
        var manifest = new RunManifest(
            "tandem", ["--secret", "plain"], 7, "0.1.0", ".NET", "Linux", null, Start, 2.0,
            new Dictionary<string, string> { ["token"] = "t" });

        manifest.Write(path);

        string json = File.ReadAllText(path);
        Assert.Contains("\n  \"command\": \"tandem\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("plain", json, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal(7UL, root.GetProperty("seed").GetUInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("gitCommit").ValueKind);
        Assert.Equal("***", root.GetProperty("arguments")[1].GetString());
        Assert.Equal("***", root.GetProperty("extra").GetProperty("token").GetString());
        Assert.Equal(2.0, root.GetProperty("wallSeconds").GetDouble());
    }

    [Fact]
    public void GitCommit_FromFiles_MatchesGitRevParse()
    {
        // The tests run inside the repository (a worktree here, whose .git is a gitdir file).
        string? fromGit = RunManifest.RunGitRevParse(AppContext.BaseDirectory);
        string? fromFiles = RunManifest.ReadGitHead(AppContext.BaseDirectory);
        if (fromGit is null)
        {
            // No git executable or not a repository: the file reader must not invent a commit.
            Assert.True(fromFiles is null || fromFiles.Length is 40 or 64);
            return;
        }

        Assert.Equal(fromGit, fromFiles);
        Assert.Matches("^[0-9a-f]{40}([0-9a-f]{24})?$", fromGit);
    }

    [Fact]
    public void GitCommit_OutsideAnyRepository_IsNull()
    {
        using var temp = new TempFolder();
        Assert.Null(RunManifest.ReadGitHead(temp.Path));
        Assert.Null(RunManifest.FindGitCommit(temp.Path));
    }
}
