using Tandem.Cli.Console;
using Tandem.Cli.Llm;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Core.Running;
using Tandem.Core.Statistics;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Experiments;
using Tandem.Reporting;

namespace Tandem.Cli.Gambit;

/// <summary>Wires `tandem gambitts`: loads or builds the bank, runs the experiment, hands results to <see cref="GambittsOutputs"/>.</summary>
public static class GambittsRunner
{
    // The default synthetic bank is deterministic and immutable: build it once per process.
    private static readonly Lazy<ResponseBank> Synthetic = new(() => SyntheticBank.Create());

    /// <summary>Run one invocation; returns the exit code.</summary>
    public static async Task<int> RunAsync(GambittsSettings settings, CliIo io, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        ResponseBank bank;
        string bankName;
        string outDir;
        LlmLedger? ledger = null;
        if (settings.Generator is { } generator)
        {
            // The seed's design (App. F): generate the responses first, then sample them uniformly during the study.
            outDir = PrepareOut(settings.Out);
            ledger = new LlmLedger();
            (bank, _) = await BankBuildRunner.BuildAsync(generator, ledger, outDir, "audit.jsonl", io, settings.Json, cancellationToken).ConfigureAwait(false);
            GeneratedBankCsv.Write(bank, Path.Combine(outDir, "bank.csv"));
            bankName = $"bank.csv ({generator.Spec}, {generator.EncoderText}, {generator.PerCell} per cell)";
        }
        else
        {
            bank = LoadBank(settings.Bank);
            bankName = settings.Bank is null ? "synthetic" : Path.GetFileName(settings.Bank);
            outDir = "";
        }
        IReadOnlyList<ExperimentSetting> experimentSettings;
        try
        {
            experimentSettings = settings.Experiment.Settings(bank);
        }
        catch (ArgumentException ex) when (settings.Bank is not null || settings.Generator is not null)
        {
            throw new UsageException($"{bankName}: {FirstSentence(ex.Message)}");
        }
        if (settings.Generator is null) outDir = PrepareOut(settings.Out);
        var runner = new RunnerOptions { Runs = settings.Runs, Horizon = settings.Horizon, Seed = settings.Seed };

        string label = $"{settings.Experiment.Id}: {settings.Agents.Count} agents × {experimentSettings.Count} setting(s) × {settings.Runs} runs × {settings.Horizon} steps";
        ExperimentResult result = await ProgressReporter.RunAsync(io, label, settings.Json, progress =>
            GambittsStudy.RunAsync(settings.Experiment, experimentSettings, settings.Agents, runner,
                (index, count, p) => progress.Report(new StudyProgress(index * p.TotalSteps + p.CompletedSteps, count * p.TotalSteps)),
                cancellationToken)).ConfigureAwait(false);

        var series = new List<GambittsSeries>();
        foreach (SettingResult s in result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                MeanSd final = MeanSd.Of(trace.FinalCumulativeRegret());
                series.Add(new GambittsSeries(trace.Name, s.Setting.Label, new RegretStat(final.Mean, final.Sd, final.Ci95), trace.MeanCumulativeRegretCurve()));
            }
        }
        double wall = System.Diagnostics.Stopwatch.GetElapsedTime(startTicks).TotalSeconds;
        var summary = new GambittsSummary("gambitts", settings.Experiment.Id, settings.Runs, settings.Horizon, settings.Seed, wall, series,
            settings.Experiment.Section, bankName, settings.Experiment.Varied, result.SimulationWallTime.TotalSeconds,
            ledger is null ? null : LlmSummary.From(ledger));
        GambittsOutputs.Write(outDir, summary, result);
        RunManifest.Capture("tandem gambitts", arguments, settings.Seed, started, wall,
            new Dictionary<string, string> { ["experiment"] = settings.Experiment.Id, ["bank"] = bankName }).Write(Path.Combine(outDir, "manifest.json"));

        if (settings.Json) io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
        else GambittsOutputs.WriteTable(io.Output, summary, outDir);
        return CliApp.Ok;
    }

    private static ResponseBank LoadBank(string? path)
    {
        if (path is null) return Synthetic.Value;
        try
        {
            return BankCsv.Load(path);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--bank '{path}': no such file.");
        }
        catch (BankFormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--bank '{path}' cannot be read: {ex.Message}");
        }
    }

    private static string PrepareOut(string path)
    {
        try
        {
            return OutputFolder.Prepare(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out '{path}' is not a writable folder: {ex.Message}");
        }
    }

    private static string FirstSentence(string message)
    {
        int paren = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return paren > 0 ? message[..paren] : message;
    }
}
