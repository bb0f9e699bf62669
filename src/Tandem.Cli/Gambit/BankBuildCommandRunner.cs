using Spectre.Console;
using Tandem.Cli.Llm;
using Tandem.Gambit.Bank;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Reporting;

namespace Tandem.Cli.Gambit;

/// <summary>The `tandem gambitts bank build --json` object.</summary>
/// <param name="Command">"gambitts bank build".</param>
/// <param name="Out">The bank CSV written.</param>
/// <param name="Model">The chat model's spec.</param>
/// <param name="Encoder">"ratings" or "embeddings:MODEL".</param>
/// <param name="PerCell">N.</param>
/// <param name="Prompts">Prompt names.</param>
/// <param name="Contexts">12.</param>
/// <param name="Dimensions">Style dimensions scored.</param>
/// <param name="Requested">Responses asked for.</param>
/// <param name="Generated">Messages generated.</param>
/// <param name="Responses">Rows in the bank.</param>
/// <param name="Truncated">Messages cut to the length limit.</param>
/// <param name="ProbeR2">In-sample R² of the embedding probe per dimension (embeddings encoder only).</param>
/// <param name="Seed">Seed of the sampling seeds.</param>
/// <param name="WallSeconds">Wall time.</param>
/// <param name="Llm">Model use (calls, tokens, cache hits, fallbacks by reason, latency).</param>
public sealed record BankBuildSummary(string Command, string Out, string Model, string Encoder, int PerCell, IReadOnlyList<string> Prompts, int Contexts,
    IReadOnlyList<string> Dimensions, int Requested, int Generated, int Responses, int Truncated, IReadOnlyDictionary<string, double>? ProbeR2, ulong Seed,
    double WallSeconds, Tandem.Core.Reports.ModelUse Llm);

/// <summary>Runs `tandem gambitts bank build`: builds the bank, writes the CSV, prints the summary.</summary>
public static class BankBuildCommandRunner
{
    /// <summary>Run; returns the exit code.</summary>
    public static async Task<int> RunAsync(BankBuildSettings settings, string outFile, bool json, CliIo io, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        string full = Path.GetFullPath(outFile);
        string dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out '{outFile}': the folder cannot be created: {ex.Message}");
        }
        var ledger = new LlmLedger();
        (ResponseBank bank, BankBuildReport report) = await BankBuildRunner.BuildAsync(settings, ledger, dir, Path.GetFileNameWithoutExtension(full) + ".audit.jsonl", io, json, cancellationToken).ConfigureAwait(false);
        try
        {
            GeneratedBankCsv.Write(bank, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out '{outFile}' cannot be written: {ex.Message}");
        }
        double wall = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        var summary = new BankBuildSummary("gambitts bank build", full, settings.Spec.ToString(), settings.EncoderText, settings.PerCell,
            settings.Prompts.Select(p => p.Name).ToArray(), 12, bank.Dimensions, report.Requested, report.Generated, report.Encoded, report.Truncated,
            report.ProbeR2, settings.Seed, wall, ModelUses.From(ledger));
        if (json)
        {
            io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
            return CliApp.Ok;
        }
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(io.Output);
        console.MarkupLine($"[bold]GAMBITTS bank[/]: {summary.Responses} responses of {summary.Requested} asked ({summary.Prompts.Count} prompts x 12 contexts x {summary.PerCell}), {summary.Dimensions.Count} dimensions, encoder {Markup.Escape(summary.Encoder)}");
        Tandem.Core.Reports.ModelUse llm = summary.Llm;
        string fallbacks = llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"));
        console.MarkupLine(Markup.Escape($"model {summary.Model}: {llm.Calls} calls, {llm.CacheHits} cache hits, {llm.PromptTokens} prompt + {llm.CompletionTokens} completion tokens, fallbacks: {fallbacks}"));
        console.MarkupLine($"{wall:F1} s. Bank: {Markup.Escape(full)} (use it with: tandem gambitts --experiment ... --bank FILE)");
        return CliApp.Ok;
    }
}
