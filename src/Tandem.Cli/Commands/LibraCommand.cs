using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Libra;
using Tandem.Cli.Llm;
using Tandem.Llm.Providers;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Policies;

namespace Tandem.Cli.Commands;

/// <summary>`tandem libra` and `tandem libra ablation` (CLI contract of issue 2; keep stable).</summary>
public static class LibraCommand
{
    /// <summary>The options shared by `libra`, `libra ablation` and `demo`.</summary>
    public sealed class Options
    {
        public Option<string> Env { get; } = new("--env") { Description = "Environment: synthetic, hypertension or fertility.", DefaultValueFactory = _ => "hypertension", Recursive = true };
        public Option<string> Policies { get; } = new("--policies") { Description = "Comma-separated policies: linucb, llm-only, glrb, libra.", DefaultValueFactory = _ => "linucb,llm-only,glrb,libra", Recursive = true };
        public Option<int?> Horizon { get; } = new("--horizon") { Description = "Steps per run T (default per environment).", Recursive = true };
        public Option<int?> Runs { get; } = new("--runs") { Description = "Independent runs R (default per environment).", Recursive = true };
        public Option<ulong> Seed { get; } = new("--seed") { Description = "Study seed; run i uses a seed derived from it and i.", DefaultValueFactory = _ => 1UL, Recursive = true };
        public Option<double?> Gamma { get; } = new("--gamma") { Description = "Recourse budget γ ≥ 0 (default per environment).", Recursive = true };
        public Option<string> Norm { get; } = new("--norm") { Description = "Recourse norm: l2, linf, l1 or mahalanobis.", DefaultValueFactory = _ => "l2", Recursive = true };
        public Option<double?> Delta { get; } = new("--delta") { Description = "LIBRA's confidence threshold Δ ≥ 0 (default per environment).", Recursive = true };
        public Option<string[]> Advisor { get; } = new("--advisor") { Description = "Advisor: simulated:q=Q, clinician, or a language model (" + LlmSpec.Allowed + "); default per environment. Repeat to compare several in one study (seed Figs 6-7).", Recursive = true, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        public Option<string> NonCompliance { get; } = new("--noncompliance") { Description = "Patients: none, random:eps=E or adversarial:eps=E.", DefaultValueFactory = _ => "none", Recursive = true };
        public Option<double?> Rho { get; } = new("--rho") { Description = "Constant confidence radius ρ of GLRB/LIBRA and α of LinUCB (default per environment).", Recursive = true };
        public Option<double?> Lambda { get; } = new("--lambda") { Description = "Ridge λ > 0 (default 1).", Recursive = true };
        public Option<string> Solver { get; } = new("--solver") { Description = "(ORO-Arm) solver: cd (Algorithm 2) or global (Proposition 1; L2/Mahalanobis only).", DefaultValueFactory = _ => "cd", Recursive = true };
        public Option<string?> Out { get; } = new("--out") { Description = "Output folder (default ./results/libra-ENV).", Recursive = true };
        public Option<bool> Json { get; } = new("--json") { Description = "Print exactly one JSON summary object on stdout.", Recursive = true };
        public Option<int?> Parallel { get; } = new("--parallel") { Description = "Runs in parallel at most (default: processor count).", Recursive = true };
        public LlmOptions Llm { get; } = new("--advisor");

        public void AddTo(Command command)
        {
            foreach (Option o in new Option[] { Env, Policies, Horizon, Runs, Seed, Gamma, Norm, Delta, Advisor, NonCompliance, Rho, Lambda, Solver, Out, Json, Parallel })
                command.Add(o);
            Llm.AddTo(command);
        }

        /// <summary>Read and validate the settings; throws <see cref="UsageException"/> naming the option.</summary>
        public LibraSettings Read(ParseResult parse, string command)
        {
            string env = parse.GetValue(Env)!.Trim().ToLowerInvariant();
            if (!Scenarios.Names.Contains(env)) throw new UsageException($"--env '{env}' is unknown; allowed: {string.Join(", ", Scenarios.Names)}.");
            string[] policies = parse.GetValue(Policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (policies.Length == 0) throw new UsageException("--policies is empty; allowed: " + string.Join(", ", PolicyNames.All.Select(p => p.Id)) + ".");
            foreach (string p in policies)
            {
                if (!PolicyNames.All.Any(x => string.Equals(x.Id, p, StringComparison.OrdinalIgnoreCase)))
                    throw new UsageException($"--policies '{p}' is unknown; allowed: {string.Join(", ", PolicyNames.All.Select(x => x.Id))}.");
            }
            int? horizon = parse.GetValue(Horizon);
            if (horizon is < 1) throw new UsageException($"--horizon {horizon} must be at least 1.");
            int? runs = parse.GetValue(Runs);
            if (runs is < 1) throw new UsageException($"--runs {runs} must be at least 1.");
            double? gamma = parse.GetValue(Gamma);
            if (gamma is not null && (!double.IsFinite(gamma.Value) || gamma < 0)) throw new UsageException($"--gamma {Fmt(gamma)} must be a finite number ≥ 0.");
            double? delta = parse.GetValue(Delta);
            if (delta is not null && (!double.IsFinite(delta.Value) || delta < 0)) throw new UsageException($"--delta {Fmt(delta)} must be a finite number ≥ 0.");
            double? rho = parse.GetValue(Rho);
            if (rho is not null && (!double.IsFinite(rho.Value) || rho < 0)) throw new UsageException($"--rho {Fmt(rho)} must be a finite number ≥ 0.");
            double? lambda = parse.GetValue(Lambda);
            if (lambda is not null && (!double.IsFinite(lambda.Value) || lambda <= 0)) throw new UsageException($"--lambda {Fmt(lambda)} must be a finite number > 0.");
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
                    catch (ArgumentException) { throw new UsageException($"--advisor '{text}' is unknown; allowed: {AdvisorSpec.Allowed}, or a language model: {LlmSpec.Allowed}."); }
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
            catch (ArgumentException) { throw new UsageException($"--noncompliance '{ncText}' is unknown; allowed: {NonComplianceSpec.Allowed}."); }
            OroSolverKind solver = parse.GetValue(Solver)!.Trim().ToLowerInvariant() switch
            {
                "cd" or "coordinate-descent" => OroSolverKind.CoordinateDescent,
                "global" => OroSolverKind.Global,
                string s => throw new UsageException($"--solver '{s}' is unknown; allowed: cd, global."),
            };
            if (solver == OroSolverKind.Global && norm is not ("l2" or "mahalanobis"))
                throw new UsageException($"--solver global needs --norm l2 or mahalanobis, not '{norm}'.");
            if (solver == OroSolverKind.Global && nonCompliance.Kind == "adversarial")
                throw new UsageException("--solver global cannot guard against adversarial non-compliance (that uses Algorithm 4); use --solver cd.");
            int? parallel = parse.GetValue(Parallel);
            if (parallel is < 1) throw new UsageException($"--parallel {parallel} must be at least 1.");

            return new LibraSettings(
                Command: command,
                Env: env,
                Policies: policies.Select(p => p.ToLowerInvariant()).ToArray(),
                Horizon: horizon,
                Runs: runs,
                Seed: parse.GetValue(Seed),
                Study: new LibraStudyOptions
                {
                    Policies = policies,
                    Gamma = gamma,
                    Norm = norm,
                    Delta = delta,
                    NonCompliance = nonCompliance,
                    Rho = rho,
                    Lambda = lambda,
                    Solver = solver,
                },
                Out: parse.GetValue(Out) ?? Path.Combine("results", "libra-" + env),
                Json: parse.GetValue(Json),
                Parallel: parallel ?? Environment.ProcessorCount,
                Advisors: advisors,
                LlmCall: llmCall);
        }

        private static string Fmt(double v) => v.ToString(CultureInfo.InvariantCulture);

        private static string Fmt(double? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>Create `libra` with its `ablation` subcommand.</summary>
    public static Command Create(CliIo io)
    {
        var options = new Options();
        var libra = new Command("libra", "Run the LIBRA / GLRB recourse-bandit study (seed 000): LinUCB, LLM-only, GLRB and LIBRA on one environment.");
        options.AddTo(libra);
        libra.SetAction((parse, ct) => LibraRunner.RunStudyAsync(options.Read(parse, "libra"), io, parse, ct));

        var vary = new Option<string>("--vary") { Description = "What to vary: delta or q.", Required = true };
        var values = new Option<string>("--values") { Description = "Comma-separated values, e.g. 0.1,0.5,1,2,5.", Required = true };
        var ablation = new Command("ablation", "Vary LIBRA's Δ or the advisor quality q and compare LIBRA's regret (seed Fig 9).");
        ablation.Add(vary);
        ablation.Add(values);
        ablation.SetAction((parse, ct) =>
        {
            LibraSettings settings = options.Read(parse, "libra ablation");
            string what = parse.GetValue(vary)!.Trim().ToLowerInvariant();
            if (what is not ("delta" or "q")) throw new UsageException($"--vary '{what}' is unknown; allowed: delta, q.");
            string text = parse.GetValue(values)!;
            var parsed = new List<double>();
            foreach (string v in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
                    throw new UsageException($"--values '{v}' is not a number.");
                if (what == "delta" && x < 0) throw new UsageException($"--values {v}: Δ must be ≥ 0.");
                if (what == "q" && (x < 0 || x > 1)) throw new UsageException($"--values {v}: q must lie in [0, 1].");
                parsed.Add(x);
            }
            if (parsed.Count == 0) throw new UsageException("--values is empty.");
            if (parse.GetValue(options.Out) is null) settings = settings with { Out = Path.Combine("results", $"libra-ablation-{settings.Env}-{what}") };
            return LibraRunner.RunAblationAsync(settings, what, parsed, io, parse, ct);
        });
        libra.Add(ablation);
        return libra;
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
        demo.SetAction((parse, ct) =>
        {
            LibraSettings settings = options.Read(parse, "demo");
            if (parse.GetValue(options.Out) is null) settings = settings with { Out = Path.Combine("results", "demo") };
            return LibraRunner.RunStudyAsync(settings, io, parse, ct);
        });
        return demo;
    }
}
