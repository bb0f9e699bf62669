using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Core.Logging;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Reporting;

namespace Tandem.Cli.Gambit;

/// <summary>A parsed `tandem gambitts` invocation: the library's options, the common settings, and the model that
/// builds the bank first when `--generator` names one.</summary>
public sealed record GambittsInvocation(GambittsExperimentOptions Options, CommonSettings Common, BankBuildSettings? Generator);

/// <summary>Runs `tandem gambitts`: builds a model's bank when asked, calls <see cref="GambittsExperiment"/>, renders its report.</summary>
public static class GambittsRunner
{
    /// <summary>Parameter names of the GAMBITTS option records → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["Experiment"] = "--experiment", ["Agents"] = "--agents", ["Runs"] = "--runs", ["Horizon"] = "--horizon",
        ["BankFile"] = "--bank", ["MaxDegreeOfParallelism"] = "--parallel",
    });

    /// <summary>Run it.</summary>
    public static async Task<int> RunAsync(GambittsInvocation invocation, CliIo io, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        GambittsExperimentOptions options = invocation.Options;
        using StudyOutput output = StudyOutput.Begin(invocation.Common);
        using DecisionLogFile? log = invocation.Common.OpenLog();
        ResponseBank? bank = null;
        LlmLedger? ledger = null;
        if (invocation.Generator is { } generator)
        {
            // The seed's design (App. F): generate the responses first, then sample them uniformly during the study.
            ledger = new LlmLedger();
            (bank, _) = await BankBuildRunner.BuildAsync(generator, ledger, output.Folder, "audit.jsonl", io, invocation.Common.Json, cancellationToken).ConfigureAwait(false);
            GeneratedBankCsv.Write(bank, Path.Combine(output.Folder, "bank.csv"));
            options = options with { BankName = $"bank.csv ({generator.Spec}, {generator.EncoderText}, {generator.PerCell} per cell)" };
        }
        var observers = log is null ? null : new[] { log.Observer<GambitContext, GambitDecision, GambitOutcome>("gambitts-" + options.Experiment, (w, c) => w.WriteStringValue(c.ToString())) };
        string label = $"{options.Experiment}: {options.Agents?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"} agents × {options.Runs} runs × {options.Horizon} steps";
        GambittsExperimentResult result;
        try
        {
            result = await ProgressReporter.RunAsync(io, label, invocation.Common.Json, progress =>
                GambittsExperiment.RunAsync(options, bank, observers, progress, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--bank '{options.BankFile}': no such file.");
        }
        catch (BankFormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--bank '{options.BankFile}' cannot be read: {ex.Message}");
        }
        catch (ArgumentException ex) when (options.BankFile is not null || bank is not null)
        {
            throw new UsageException($"{options.BankName ?? Path.GetFileName(options.BankFile)}: {OptionMap.FirstSentence(ex.Message)}");
        }
        log?.Complete();
        result = result.WithModelUse(ledger is null ? null : ModelUses.From(ledger));
        GambittsSummary summary = result.Summary;
        output.Complete(result.ToReport(), "tandem gambitts", arguments, summary.Seed,
            new Dictionary<string, string> { ["experiment"] = summary.Experiment, ["bank"] = summary.Bank });
        if (invocation.Common.Json) io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
        else GambittsOutputs.WriteTable(io.Output, summary, output.Folder);
        return CliApp.Ok;
    }
}
