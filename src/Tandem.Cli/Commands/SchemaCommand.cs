using System.CommandLine;
using System.Text.Json.Nodes;
using Tandem.Cli.Console;
using Tandem.Cli.Dlm;
using Tandem.Cli.Hosting;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Simulation;
using Tandem.Gambit.Experiments;
using Tandem.Llm.Gambit;
using Tandem.Recourse.Experiments;
using Tandem.Reporting;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.History;
using Tandem.Rmab.Programme;

namespace Tandem.Cli.Commands;

/// <summary>`tandem schema`: the JSON Schema of every command's <c>--json</c> output and summary.json (the output
/// envelope with the command's results; docs/outputs.md). The published copies are docs/schemas/NAME.schema.json,
/// and a test holds them equal to what this prints and every command's output to its schema.</summary>
public static class SchemaCommand
{
    /// <summary>Schema name → (the command line it describes, the results type).</summary>
    public static IReadOnlyDictionary<string, (string Command, Type Results)> Outputs { get; } = new SortedDictionary<string, (string, Type)>(StringComparer.Ordinal)
    {
        ["libra"] = ("tandem libra (and tandem demo)", typeof(LibraSummary)),
        ["libra-ablation"] = ("tandem libra ablation", typeof(AblationSummary)),
        ["dlm"] = ("tandem dlm", typeof(DlmSummary)),
        ["dlm-check-reward"] = ("tandem dlm check-reward", typeof(CheckRewardSummary)),
        ["rmab-whittle"] = ("tandem rmab whittle", typeof(WhittleSummary)),
        ["rmab-plan"] = ("tandem rmab plan", typeof(PlanSummary)),
        ["rmab-estimate"] = ("tandem rmab estimate", typeof(EstimateSummary)),
        ["rmab-estimate-validate"] = ("tandem rmab estimate --validate", typeof(ValidationSummary)),
        ["gambitts"] = ("tandem gambitts", typeof(GambittsSummary)),
        ["gambitts-bank-build"] = ("tandem gambitts bank build", typeof(BankBuildSummary)),
        ["ope"] = ("tandem ope", typeof(OpeSummary)),
        ["ope-validate"] = ("tandem ope --validate", typeof(OpeValidationSummary)),
        ["batch-regret"] = ("tandem batch-regret", typeof(BatchRegretSummary)),
    };

    /// <summary>The schema named <paramref name="name"/>.</summary>
    public static JsonObject For(string name)
    {
        (string command, Type results) = Outputs[name];
        return JsonSchemas.For(typeof(OutputEnvelope<>).MakeGenericType(results), $"{command} --json (and summary.json)");
    }

    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var name = new Argument<string?>("name") { Description = "The output to describe: " + string.Join(", ", Outputs.Keys) + ". Without it, the list.", Arity = ArgumentArity.ZeroOrOne };
        var write = new Option<string?>("--write") { Description = "Write every schema as NAME.schema.json into this folder (e.g. docs/schemas) instead of printing." };
        var command = new Command("schema", "Print the JSON Schema of a command's --json output and summary.json (docs/outputs.md).");
        command.Add(name);
        command.Add(write);
        command.SetAction(parse =>
        {
            string? which = parse.GetValue(name);
            if (parse.GetValue(write) is { } folder)
            {
                if (which is not null) throw new UsageException("--write writes every schema; give no name with it.");
                try
                {
                    Directory.CreateDirectory(folder);
                    foreach (string key in Outputs.Keys)
                        File.WriteAllText(Path.Combine(folder, key + ".schema.json"), JsonSchemas.Text(For(key)), new System.Text.UTF8Encoding(false));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw new UsageException($"--write '{ConsoleText.Safe(folder, 200)}': {ex.Message}");
                }
                io.Output.WriteLine($"Wrote {Outputs.Count} schemas to {folder}.");
                return CliApp.Ok;
            }
            if (which is null)
            {
                foreach (var (key, (cmd, _)) in Outputs) io.Output.WriteLine($"{key,-24} {cmd}");
                return CliApp.Ok;
            }
            if (!Outputs.ContainsKey(which))
                throw new UsageException($"schema '{ConsoleText.Safe(which, 100)}' is unknown; allowed: {string.Join(", ", Outputs.Keys)}.");
            io.Output.Write(JsonSchemas.Text(For(which)));
            return CliApp.Ok;
        });
        return command;
    }
}
