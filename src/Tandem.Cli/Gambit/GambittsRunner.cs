using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Core.Logging;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;
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
        ["BankFile"] = "--bank", ["BankSeed"] = "--bank-seed", ["MaxDegreeOfParallelism"] = "--parallel",
        ["Banks"] = "--banks", ["PropensityDraws"] = "--propensity-draws", ["OfflineDraws"] = "--offline-draws",
        ["EnsembleTargetOffset"] = "--ensemble-centring", ["EnsembleResetOptimizer"] = "--ensemble-reset-optimizer",
    });

    /// <summary>Run it.</summary>
    public static async Task<int> RunAsync(GambittsInvocation invocation, CliIo io, System.CommandLine.ParseResult parse, CancellationToken cancellationToken)
    {
        GambittsExperimentOptions options = invocation.Options;
        ResponseBank? bank = null;
        if (options.BankFile is { } file)
        {
            // Read and check the bank before any work, so a bad file is one line and exit 2.
            bank = LoadBank(file);
            options = options with { BankFile = null, BankName = Path.GetFileName(file) };
            CheckBank(options, bank);
        }
        using DecisionLogFile? log = invocation.Common.OpenLog();
        using StudyOutput output = StudyOutput.Begin(invocation.Common);
        Tandem.Core.Reports.ModelUse? modelUse = null;
        if (invocation.Generator is { } generator)
        {
            // The seed's design (App. F): generate the responses first, then sample them uniformly during the study.
            LlmBankBuildResult built = await BankBuildRunner.BuildAsync(generator.WithOutputs(Path.Combine(output.Folder, "audit.jsonl"), Path.Combine(output.Folder, "bank.csv")),
                io, invocation.Common.Json, cancellationToken).ConfigureAwait(false);
            (bank, modelUse) = (built.Bank, built.Summary.Llm);
            options = options with { BankName = $"bank.csv ({generator.Spec}, {generator.EncoderText}, {generator.PerCell} per cell)" };
            CheckBank(options, bank);
        }
        var observers = log is null ? null : new[] { log.Observer<GambitContext, GambitDecision, GambitOutcome>("gambitts-" + options.Experiment, (w, c) => w.WriteStringValue(c.ToString())) };
        string label = $"{options.Experiment}: {options.Agents?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"} agents × {options.Runs} runs × {options.Horizon} steps";
        GambittsExperimentResult result;
        try
        {
            result = await ProgressReporter.RunAsync(io, label, invocation.Common.Json, progress =>
                GambittsExperiment.RunAsync(options, bank, observers, progress, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
        log?.Complete();
        result = result.WithModelUse(modelUse);
        GambittsSummary summary = result.Summary;
        var envelope = output.Complete(result.ToReport(), parse, summary.Seed,
            new Dictionary<string, string> { ["--experiment"] = summary.Experiment, ["bank"] = summary.Bank });
        if (invocation.Common.Json) StudyOutput.Print(io, envelope);
        else GambittsOutputs.WriteTable(io.Output, summary, output.Folder);
        return CliApp.Ok;
    }

    private static ResponseBank LoadBank(string path)
    {
        try
        {
            return BankCsv.Load(path);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--bank '{ConsoleText.Safe(path, 300)}': no such file.");
        }
        catch (BankFormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--bank '{ConsoleText.Safe(path, 300)}' cannot be read: {ex.Message}");
        }
    }

    /// <summary>The experiment's settings must be buildable on this bank (enough style dimensions, ...).</summary>
    private static void CheckBank(GambittsExperimentOptions options, ResponseBank bank)
    {
        try
        {
            _ = GambittsExperiments.Find(options.Experiment)!.Settings(bank);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"{ConsoleText.Safe(options.BankName, 300)}: {OptionMap.FirstSentence(ex.Message)}");
        }
        try
        {
            GambittsExperiment.CheckBank(options, bank);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
    }
}
