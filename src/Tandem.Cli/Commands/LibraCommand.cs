using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Core.Logging;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Reporting;

namespace Tandem.Cli.Commands;

/// <summary>One `--advisor`: a built-in simulation, or a language model (<see cref="Llm"/> set).</summary>
public sealed record AdvisorArgument(AdvisorSpec Spec, LlmSpec? Llm);

/// <summary>A parsed `tandem libra` / `demo` / `libra ablation` invocation.</summary>
public sealed record LibraInvocation(string Command, LibraExperimentOptions Options, CommonSettings Common, IReadOnlyList<AdvisorArgument> Advisors, LlmCallSettings LlmCall);

/// <summary>`tandem libra`, `tandem libra ablation` and `tandem demo`: parse into the library's option records, call
/// <see cref="LibraExperiment"/>, render its report (CLI contract of issue 2; keep stable).</summary>
public static class LibraCommand
{
    /// <summary>Parameter names of the LIBRA option records → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["Env"] = "--env", ["Horizon"] = "--horizon", ["Runs"] = "--runs", ["MaxDegreeOfParallelism"] = "--parallel",
        ["Gamma"] = "--gamma", ["Delta"] = "--delta", ["Radius"] = "--radius", ["Sigma"] = "--sigma", ["SafeGate"] = "--safe-gate", ["Lambda"] = "--lambda", ["Policies"] = "--policies",
        ["Advisors"] = "--advisor", ["Norm"] = "--norm", ["Solver"] = "--solver", ["NonCompliance"] = "--noncompliance",
        ["Epsilon"] = "--noncompliance", ["Vary"] = "--vary", ["Values"] = "--values",
        ["Cohort"] = "--treatment", ["Treatment"] = "--treatment", ["Outcome"] = "--outcome", ["Mutable"] = "--mutable", ["Bounds"] = "--bounds",
        ["Link"] = "--link", ["OutcomeNoise"] = "--outcome-noise",
    });

    /// <summary>A short name of the environment for folders and study names: "csv" for csv:PATH.</summary>
    public static string EnvLabel(string env) => Tandem.Recourse.Environments.Scenarios.IsCsv(env) ? "csv" : env;

    /// <summary>The options shared by `libra`, `libra ablation` and `demo`.</summary>
    public sealed class Options
    {
        public Option<string> Env { get; } = new("--env") { Description = "Environment: synthetic, hypertension, fertility, or csv:PATH (your cohort; needs --treatment, --outcome, --mutable; docs/libra-cohort.md).", DefaultValueFactory = _ => "hypertension", Recursive = true };
        public Option<string?> Treatment { get; } = new("--treatment") { Description = "csv: the treatment column (its values are the arms).", Recursive = true };
        public Option<string?> Outcome { get; } = new("--outcome") { Description = "csv: the outcome column (numeric; 0/1 for --link logistic).", Recursive = true };
        public Option<string?> Mutable { get; } = new("--mutable") { Description = "csv: comma-separated mutable feature columns; every other column is an immutable feature.", Recursive = true };
        public Option<string?> Bounds { get; } = new("--bounds") { Description = "csv: bounds of mutable columns in the file's units, COL=lo:hi,... (recommended values stay on the scale).", Recursive = true };
        public Option<string> Link { get; } = new("--link") { Description = "csv: the per-treatment outcome model, identity (linear regression, seed Appendix D) or logistic.", DefaultValueFactory = _ => "identity", Recursive = true };
        public Option<double> OutcomeNoise { get; } = new("--outcome-noise") { Description = "csv: each run draws outcome + N(0, τ²) and refits (Appendix D draws τ = 1); default 0, fit the column once.", Recursive = true };
        public Option<string> Policies { get; } = new("--policies") { Description = "Comma-separated policies: " + string.Join(", ", RecoursePolicies.Catalog.Select(p => p.Id)) + ".", DefaultValueFactory = _ => string.Join(",", new LibraStudyOptions().Policies), Recursive = true };
        public Option<int?> Horizon { get; } = new("--horizon") { Description = "Steps per run T (default per environment).", Recursive = true };
        public Option<int?> Runs { get; } = new("--runs") { Description = "Independent runs R (default per environment).", Recursive = true };
        public Option<double?> Gamma { get; } = new("--gamma") { Description = "Recourse budget γ ≥ 0 (default per environment).", Recursive = true };
        public Option<string> Norm { get; } = new("--norm") { Description = "Recourse norm: l2, linf, l1 or mahalanobis.", DefaultValueFactory = _ => "l2", Recursive = true };
        public Option<double?> Delta { get; } = new("--delta") { Description = "LIBRA's confidence threshold Δ ≥ 0 in units of σ: it asks while UCB − LCB > Δσ (default per environment).", Recursive = true };
        public Option<string[]> Advisor { get; } = new("--advisor") { Description = "Advisor: simulated:q=Q, clinician, or a language model (" + LlmSpec.Allowed + "); default per environment. Repeat to compare several in one study (seed Figs 6-7).", Recursive = true, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        public Option<string> NonCompliance { get; } = new("--noncompliance") { Description = "Patients: none, random:eps=E or adversarial:eps=E.", DefaultValueFactory = _ => "none", Recursive = true };
        public Option<string?> Radius { get; } = new("--radius") { Description = "Confidence radius of GLRB/LIBRA and LinUCB's α: constant:RHO (RHO in units of σ; default constant:1) or lemma2[:delta=D,beta-theta=B,beta-x=X,c-mu=C,l-mu=L] (Lemma 2 as proved in Appendix A.2).", Recursive = true };
        public Option<double?> Sigma { get; } = new("--sigma") { Description = "Noise scale σ the bandits are told: the unit of a constant ρ and Lemma 2's σ (default: the environment's stated noise; hypertension 5 mmHg).", Recursive = true };
        public Option<bool> SafeGate { get; } = new("--safe-gate") { Description = "LIBRA declines advice whose UCB is below its own pair's LCB (beyond the seed; counted as its own fallback reason).", Recursive = true };
        public Option<double?> Lambda { get; } = new("--lambda") { Description = "Ridge λ > 0 (default 1).", Recursive = true };
        public Option<string> Solver { get; } = new("--solver") { Description = "(ORO-Arm) solver: cd (Algorithm 2) or global (Proposition 1; L2/Mahalanobis only).", DefaultValueFactory = _ => "cd", Recursive = true };
        public CommonOptions Common { get; } = new("Output folder (default ./results/libra-ENV).");
        public LlmOptions Llm { get; } = new("--advisor");

        public void AddTo(Command command)
        {
            foreach (Option o in new Option[] { Env, Treatment, Outcome, Mutable, Bounds, Link, OutcomeNoise, Policies, Horizon, Runs, Gamma, Norm, Delta, Advisor, NonCompliance, Radius, Sigma, SafeGate, Lambda, Solver })
                command.Add(o);
            Common.AddTo(command);
            Llm.AddTo(command);
        }

        /// <summary>Parse the settings into the library's records; names and specs are parsed here, ranges are the library's.</summary>
        public LibraInvocation Read(ParseResult parse, string command)
        {
            string env = parse.GetValue(Env)!.Trim();
            if (!Tandem.Recourse.Environments.Scenarios.IsCsv(env)) env = env.ToLowerInvariant();
            Tandem.Recourse.Environments.CohortOptions? cohort = ReadCohort(parse, env);
            string[] policies = parse.GetValue(Policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (string p in policies)
            {
                try { RecoursePolicies.Find(p); }
                catch (ArgumentException) { throw new UsageException($"--policies '{p}' is unknown; allowed: {string.Join(", ", RecoursePolicies.Catalog.Select(x => x.Id))}."); }
            }
            string norm = parse.GetValue(Norm)!.Trim().ToLowerInvariant();
            if (norm is not ("l2" or "linf" or "l1" or "mahalanobis")) throw new UsageException($"--norm '{norm}' is unknown; allowed: l2, linf, l1, mahalanobis.");
            var advisors = new List<AdvisorArgument>();
            foreach (string text in parse.GetValue(Advisor) ?? [])
            {
                AdvisorArgument argument;
                if (LlmSpec.IsLlmSpec(text.Trim()))
                {
                    LlmSpec llm = LlmOptions.ParseSpec(text, "--advisor");
                    argument = new AdvisorArgument(AdvisorSpec.External(llm.ToString()), llm);
                }
                else
                {
                    try { argument = new AdvisorArgument(AdvisorSpec.Parse(text), null); }
                    catch (ArgumentException) { throw new UsageException($"--advisor '{ConsoleText.Safe(text, 200)}' is unknown; allowed: {AdvisorSpec.Allowed}, or a language model: {LlmSpec.Allowed}."); }
                }
                if (advisors.Any(a => a.Spec == argument.Spec)) throw new UsageException($"--advisor '{argument.Spec}' is given twice.");
                advisors.Add(argument);
            }
            int live = advisors.Count(a => a.Llm is { Kind: not LlmKind.Replay });
            LlmCallSettings llmCall = Llm.Read(parse, live > 0);
            if (llmCall.Record is not null && live > 1)
                throw new UsageException("--record records one language model at a time; give a single openai:/ollama: --advisor (several cassettes replay together as --advisor replay:A --advisor replay:B).");
            NonComplianceSpec nonCompliance;
            string ncText = parse.GetValue(NonCompliance)!;
            try { nonCompliance = NonComplianceSpec.Parse(ncText); }
            catch (ArgumentException) { throw new UsageException($"--noncompliance '{ConsoleText.Safe(ncText, 200)}' is unknown; allowed: {NonComplianceSpec.Allowed}."); }
            OroSolverKind solver = parse.GetValue(Solver)!.Trim().ToLowerInvariant() switch
            {
                "cd" or "coordinate-descent" => OroSolverKind.CoordinateDescent,
                "global" => OroSolverKind.Global,
                string s => throw new UsageException($"--solver '{ConsoleText.Safe(s, 200)}' is unknown; allowed: cd, global."),
            };
            if (solver == OroSolverKind.Global && norm is not ("l2" or "mahalanobis"))
                throw new UsageException($"--solver global needs --norm l2 or mahalanobis, not '{norm}'.");
            if (solver == OroSolverKind.Global && nonCompliance.Kind == "adversarial")
                throw new UsageException("--solver global cannot guard against adversarial non-compliance (that uses Algorithm 4); use --solver cd.");
            if (solver == OroSolverKind.Global && nonCompliance.Kind == "random")
                throw new UsageException("--solver global cannot solve robust-ORO for random non-compliance (that uses Algorithm 2); use --solver cd.");

            RadiusSpec? radius = null;
            if (parse.GetValue(Radius) is { } radiusText)
            {
                try { radius = RadiusSpec.Parse(radiusText); }
                catch (ArgumentException) { throw new UsageException($"--radius '{ConsoleText.Safe(radiusText, 200)}' is unknown; allowed: {RadiusSpec.Allowed}."); }
            }

            CommonSettings common = Common.Read(parse, Path.Combine("results", command == "demo" ? "demo" : "libra-" + EnvLabel(env)));
            var options = new LibraExperimentOptions
            {
                Env = env,
                Cohort = cohort,
                Horizon = parse.GetValue(Horizon),
                Runs = parse.GetValue(Runs),
                Seed = common.Seed,
                MaxDegreeOfParallelism = common.Parallel,
                Study = new LibraStudyOptions
                {
                    Policies = policies,
                    Gamma = parse.GetValue(Gamma),
                    Norm = norm,
                    Delta = parse.GetValue(Delta),
                    NonCompliance = nonCompliance,
                    Radius = radius,
                    Sigma = parse.GetValue(Sigma),
                    SafeGate = parse.GetValue(SafeGate),
                    Lambda = parse.GetValue(Lambda),
                    Solver = solver,
                    Advisors = advisors.Select(a => a.Spec).ToArray(),
                },
            };
            try { options.Validate(); }
            catch (ArgumentException ex) { throw Names.Translate(ex); }
            return new LibraInvocation(command, options, common, advisors, llmCall);
        }

        // The cohort options of --env csv:PATH (null otherwise); cohort options without csv: are refused.
        private Tandem.Recourse.Environments.CohortOptions? ReadCohort(ParseResult parse, string env)
        {
            string? treatment = parse.GetValue(Treatment), outcome = parse.GetValue(Outcome), mutable = parse.GetValue(Mutable), bounds = parse.GetValue(Bounds);
            string link = parse.GetValue(Link)!.Trim().ToLowerInvariant();
            bool csv = Tandem.Recourse.Environments.Scenarios.IsCsv(env);
            if (!csv)
            {
                if (treatment is not null || outcome is not null || mutable is not null || bounds is not null || parse.GetResult(OutcomeNoise) is { Implicit: false } || parse.GetResult(Link) is { Implicit: false })
                    throw new UsageException($"--treatment, --outcome, --mutable, --bounds, --link and --outcome-noise apply to --env csv:PATH, not '{env}'.");
                return null;
            }
            if (treatment is null) throw new UsageException("--treatment: --env csv:PATH needs the treatment column.");
            if (outcome is null) throw new UsageException("--outcome: --env csv:PATH needs the outcome column.");
            if (mutable is null) throw new UsageException("--mutable: --env csv:PATH needs at least one mutable column.");
            var parsedBounds = new Dictionary<string, Tandem.Recourse.Environments.CohortBounds>(StringComparer.Ordinal);
            foreach (string item in (bounds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = item.LastIndexOf('=');
                string[] range = eq > 0 ? item[(eq + 1)..].Split(':') : [];
                if (eq <= 0 || range.Length != 2
                    || !double.TryParse(range[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double lo)
                    || !double.TryParse(range[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double hi))
                    throw new UsageException($"--bounds '{ConsoleText.Safe(item, 100)}' is not COL=lo:hi.");
                string column = item[..eq].Trim();
                if (!parsedBounds.TryAdd(column, new(lo, hi))) throw new UsageException($"--bounds: column '{ConsoleText.Safe(column, 100)}' is bounded twice.");
            }
            return new Tandem.Recourse.Environments.CohortOptions
            {
                Treatment = treatment.Trim(),
                Outcome = outcome.Trim(),
                Mutable = mutable.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Bounds = parsedBounds,
                Link = link switch
                {
                    "identity" => Tandem.Core.Numerics.GlmLink.Identity,
                    "logistic" => Tandem.Core.Numerics.GlmLink.Logistic,
                    _ => throw new UsageException($"--link '{ConsoleText.Safe(link, 100)}' is unknown; allowed: identity, logistic."),
                },
                OutcomeNoise = parse.GetValue(OutcomeNoise),
            };
        }
    }

    /// <summary>Create `libra` with its `ablation` subcommand.</summary>
    public static Command Create(CliIo io)
    {
        var options = new Options();
        var libra = new Command("libra", "Run the LIBRA / GLRB recourse-bandit study (seed 000): LinUCB, LLM-only, GLRB and LIBRA on one environment.");
        options.AddTo(libra);
        libra.SetAction((parse, ct) => RunStudyAsync(options.Read(parse, "libra"), io, parse, ct));

        var vary = new Option<string>("--vary") { Description = "What to vary: delta or q.", Required = true };
        var values = new Option<string>("--values") { Description = "Comma-separated values, e.g. 0.1,0.5,1,2,5.", Required = true };
        var ablation = new Command("ablation", "Vary LIBRA's Δ or the advisor quality q and compare LIBRA's regret (seed Fig 9).");
        ablation.Add(vary);
        ablation.Add(values);
        ablation.SetAction((parse, ct) =>
        {
            LibraInvocation invocation = options.Read(parse, "libra ablation");
            string what = parse.GetValue(vary)!.Trim().ToLowerInvariant();
            var parsed = new List<double>();
            foreach (string v in parse.GetValue(values)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x))
                    throw new UsageException($"--values '{ConsoleText.Safe(v, 100)}' is not a number.");
                parsed.Add(x);
            }
            var ablationOptions = new LibraAblationOptions { Vary = what, Values = parsed };
            try { ablationOptions.Validate(); }
            catch (ArgumentException ex) { throw Names.Translate(ex); }
            if (!invocation.Common.OutGiven)
                invocation = invocation with { Common = invocation.Common with { Out = Path.Combine("results", $"libra-ablation-{EnvLabel(invocation.Options.Env)}-{what}") } };
            return RunAblationAsync(invocation, ablationOptions, io, parse, ct);
        });
        libra.Add(ablation);
        return libra;
    }

    /// <summary>`tandem libra` / `tandem demo`.</summary>
    public static async Task<int> RunStudyAsync(LibraInvocation invocation, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        await Guarded(() => { LibraExperiment.Check(invocation.Options, invocation.Advisors.Any(a => a.Llm is not null) ? ModelAdvisors.Pending : null); return Task.FromResult(0); }).ConfigureAwait(false);
        using DecisionLogFile? log = invocation.Common.OpenLog();
        using StudyOutput output = StudyOutput.Begin(invocation.Common);
        using var session = new LlmSession(invocation.LlmCall, output.Folder, "--advisor", io.Error);
        (IRecourseAdvisorFactory? factory, IReadOnlyDictionary<string, LlmLedger> ledgers) = Advisors(invocation, session);
        await session.CheckModelsAsync(cancellationToken).ConfigureAwait(false);
        string study = "libra-" + EnvLabel(invocation.Options.Env);
        IReadOnlyList<Tandem.Core.Running.IStepObserver<double[], RecourseDecision, RecourseOutcome>> observers =
            log is null ? [] : [log.Observer<double[], RecourseDecision, RecourseOutcome>(study, DecisionLogFile.WriteVector)];
        string label = $"{EnvLabel(invocation.Options.Env)}: {invocation.Options.Study.Policies.Count} policies";
        LibraResult result = await Guarded(() => ProgressReporter.RunAsync(io, label, invocation.Common.Json, progress =>
            LibraExperiment.RunAsync(invocation.Options, factory, observers, progress, cancellationToken))).ConfigureAwait(false);
        log?.Complete();
        result = result.WithModelUse(ModelUses.Sum(ledgers.Values), ledgers.Count > 1 ? ledgers.ToDictionary(kv => kv.Key, kv => ModelUses.From(kv.Value)) : null);

        LibraSummary summary = result.LibraSummary;
        await Guarded(() => { session.CheckFallbacks(); return Task.FromResult(0); }).ConfigureAwait(false);
        var envelope = output.Complete(session.WithNotes(result.ToReport()), parse, summary.Seed,
            new Dictionary<string, string> { ["--env"] = summary.Env, ["--advisor"] = summary.Advisor });
        if (invocation.Common.Json) StudyOutput.Print(io, envelope);
        else
        {
            ConsoleTables.WriteStudy(io.Output, summary, output.Folder);
            foreach (AdvisorQuality q in summary.Advisors ?? [])
                io.Output.WriteLine($"η of {ConsoleText.Safe(q.Advisor)}: mean {ReportText.MeanSd(q.MeanEta.Mean, q.MeanEta.Sd)} per patient, largest {ReportText.Number(q.MaxEta)} ({q.Method}).");
            foreach (ClaimCheck c in summary.Claims ?? [])
                io.Output.WriteLine($"{(c.Holds * 10 >= c.Runs * 8 ? "holds" : "does not hold")} (true in {c.Holds}/{c.Runs} runs): {c.Claim} ({c.Measure}).");
        }
        return CliApp.Ok;
    }

    /// <summary>`tandem libra ablation`.</summary>
    public static async Task<int> RunAblationAsync(LibraInvocation invocation, LibraAblationOptions ablation, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        if (invocation.Advisors.Count > 1) throw new UsageException("libra ablation takes one --advisor (compare several in `tandem libra`).");
        if (ablation.Vary == "q" && invocation.Advisors is [{ Spec.Kind: not "simulated" }])
            throw new UsageException("--vary q needs a simulated advisor (simulated:q=Q).");
        await Guarded(() => { LibraExperiment.Check(invocation.Options, invocation.Advisors.Any(a => a.Llm is not null) ? ModelAdvisors.Pending : null); return Task.FromResult(0); }).ConfigureAwait(false);
        using DecisionLogFile? log = invocation.Common.OpenLog();
        using StudyOutput output = StudyOutput.Begin(invocation.Common);
        using var session = new LlmSession(invocation.LlmCall, output.Folder, "--advisor", io.Error);
        (IRecourseAdvisorFactory? factory, IReadOnlyDictionary<string, LlmLedger> ledgers) = Advisors(invocation, session);
        await session.CheckModelsAsync(cancellationToken).ConfigureAwait(false);
        Func<string, IReadOnlyList<Tandem.Core.Running.IStepObserver<double[], RecourseDecision, RecourseOutcome>>>? observersFor = log is null ? null
            : setting => [log.Observer<double[], RecourseDecision, RecourseOutcome>($"libra-ablation-{EnvLabel(invocation.Options.Env)}-{setting}", DecisionLogFile.WriteVector)];
        LibraAblationResult result = await Guarded(() => ProgressReporter.RunAsync(io, $"{EnvLabel(invocation.Options.Env)} LIBRA ablation over {ablation.Vary}", invocation.Common.Json, progress =>
            LibraExperiment.RunAblationAsync(invocation.Options, ablation, factory, progress, observersFor, cancellationToken))).ConfigureAwait(false);
        log?.Complete();
        result = result.WithModelUse(ModelUses.Sum(ledgers.Values));
        AblationSummary summary = result.AblationSummary;
        await Guarded(() => { session.CheckFallbacks(); return Task.FromResult(0); }).ConfigureAwait(false);
        var envelope = output.Complete(session.WithNotes(result.ToReport()), parse, summary.Seed,
            new Dictionary<string, string> { ["--env"] = summary.Env, ["--vary"] = summary.Vary });
        if (invocation.Common.Json) StudyOutput.Print(io, envelope);
        else ConsoleTables.WriteAblation(io.Output, summary, output.Folder);
        return CliApp.Ok;
    }

    /// <summary>The language-model advisors: each gets one client pipeline (audit log in the output folder, optional
    /// recording) shared by every run, and one ledger for the summary, keyed by its spec.</summary>
    private static (IRecourseAdvisorFactory? Factory, IReadOnlyDictionary<string, LlmLedger> Ledgers) Advisors(LibraInvocation invocation, LlmSession session)
    {
        var ledgers = new Dictionary<string, LlmLedger>(StringComparer.Ordinal);
        var clients = new Dictionary<AdvisorSpec, (IChatClient Client, LlmLedger Ledger, string Name)>();
        int models = invocation.Advisors.Count(a => a.Llm is not null);
        foreach (AdvisorArgument advisor in invocation.Advisors)
        {
            if (advisor.Llm is not { } spec) continue;
            var ledger = new LlmLedger();
            string name = spec.ToString();
            string audit = models == 1 ? "audit.jsonl" : $"audit-{ledgers.Count + 1}.jsonl";
            clients[advisor.Spec] = (session.Open(spec, ledger, audit), ledger, name);
            ledgers[name] = ledger;
        }
        return (clients.Count == 0 ? null : new ModelAdvisors(clients), ledgers);
    }

    private sealed class ModelAdvisors(IReadOnlyDictionary<AdvisorSpec, (IChatClient Client, LlmLedger Ledger, string Name)> clients) : IRecourseAdvisorFactory
    {
        /// <summary>Stands in for the model advisors while the options are checked, before any client is opened.</summary>
        public static ModelAdvisors Pending { get; } = new(new Dictionary<AdvisorSpec, (IChatClient, LlmLedger, string)>());

        public IRecourseAdvisor? Create(AdvisorSpec spec, RecourseProblem problem, RunContext run) =>
            clients.TryGetValue(spec, out var c) ? new LlmRecourseAdvisor(c.Client, c.Ledger, c.Name) : null;
    }

    private static async Task<T> Guarded<T>(Func<Task<T>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Tandem.Core.Ports.StudyStopException ex)
        {
            throw new UsageException("--advisor: " + ex.Message);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FormatException)
        {
            throw new UsageException(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
    }
}

/// <summary>`tandem demo`: the hypertension study on the simulated clinician, with its report.</summary>
public static class DemoCommand
{
    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var options = new LibraCommand.Options();
        var demo = new Command("demo", "Run the hypertension case study (seed 000 §5) on the simulated advisor: summary table, figures and an HTML report under ./results/demo.");
        options.AddTo(demo);
        demo.SetAction((parse, ct) => LibraCommand.RunStudyAsync(options.Read(parse, "demo"), io, parse, ct));
        return demo;
    }
}
