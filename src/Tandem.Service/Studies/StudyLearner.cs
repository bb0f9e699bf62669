using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Model;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Service.Studies;

/// <summary>
/// A study's learner behind one shape, whatever the library policy: read and check a context, decide, learn, and
/// export or import the state. Randomness is per decision: before decision n the policy's generator is set to the
/// stream derived from (study seed, n) (<see cref="Seeds.Derive(ulong, long)"/>), and its clock to the decision's time,
/// so replaying the log (decide again with the logged context and time, learn the logged rewards in commit order)
/// reproduces the learner exactly without storing any stream position. Not thread-safe: owned by the study's writer.
/// </summary>
internal abstract class StudyLearner : IDisposable
{
    private readonly Xoshiro256 _random;

    protected StudyLearner(StudySpec spec)
    {
        Spec = spec;
        _random = new Xoshiro256(spec.Seed);
    }

    /// <summary>The spec.</summary>
    public StudySpec Spec { get; }

    /// <summary>The policy's display name (the log's <c>policy</c>).</summary>
    public abstract string PolicyName { get; }

    /// <summary>K.</summary>
    public int ArmCount => Spec.Arms.Count;

    /// <summary>The generator the policy draws from (reset before every decision).</summary>
    protected Random Random => _random;

    /// <summary>The clock the policy stamps decisions with (set before every decision).</summary>
    protected DecisionClock Clock { get; } = new();

    /// <summary>Check a request's context against the spec (length, finite numbers, known names) and return it in the
    /// policy's form. Pure: safe to call from any thread. Throws <see cref="RequestException"/> naming the field.</summary>
    public abstract object ReadContext(JsonElement context);

    /// <summary>The context as the decision log writes it.</summary>
    public abstract void WriteContext(Utf8JsonWriter writer, object context);

    /// <summary>The context read back from a log line (trusted: it was checked before it was logged).</summary>
    public abstract object ReadLoggedContext(JsonElement logged);

    /// <summary>Decide decision number <paramref name="sequence"/> at <paramref name="time"/>; a replay passes what the
    /// live decision recorded (<see cref="TakeAux"/>) so that outside answers (an advisor's) are not asked again.</summary>
    public ValueTask<Decision> DecideAsync(object context, long sequence, DateTimeOffset time, string? recordedAux, CancellationToken cancellationToken)
    {
        _random.SetState(StreamState(Spec.Seed, sequence));
        Clock.Now = time;
        PrepareDecision(sequence, recordedAux);
        return DecideCoreAsync(context, cancellationToken);
    }

    /// <summary>Decide as a stateless worker does, from a restored published snapshot: the generator is set to
    /// <paramref name="streamState"/> (the worker's own stream, see <c>docs/hot-studies.md</c>) instead of a decision
    /// number's. Only for kinds with <see cref="CanDecideFromSnapshot"/>.</summary>
    public ValueTask<Decision> DecideFromSnapshotAsync(object context, ulong[] streamState, DateTimeOffset time, CancellationToken cancellationToken)
    {
        if (!CanDecideFromSnapshot) throw new InvalidOperationException($"A {Spec.Kind} study's decisions are made by its writer.");
        _random.SetState(streamState);
        Clock.Now = time;
        return DecideCoreAsync(context, cancellationToken);
    }

    /// <summary>True for the kinds a stateless worker may decide for: no outside answer to record (libra's advisor) and
    /// the policy's state holds its decision issuer at the top (<c>issuer</c>), so the writer can adopt the decisions.</summary>
    public virtual bool CanDecideFromSnapshot => false;

    /// <summary>Give decisions made elsewhere (by stateless workers, from a snapshot of this learner) ids of this
    /// learner's own issuer, pending, in order, so it can learn them: the issuer's next ids are taken and marked pending
    /// in one state edit of <paramref name="current"/> (this learner's state now: its <see cref="Export"/>, or an export
    /// the caller knows is still current). Returns the decisions with their new ids.</summary>
    public Decision[] Adopt(IReadOnlyList<Decision> decisions, PolicyState current)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(current);
        if (!CanDecideFromSnapshot) throw new InvalidOperationException($"A {Spec.Kind} study cannot adopt decisions made elsewhere.");
        var owned = new Decision[decisions.Count];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(current.Data.GetRawText().Length + 32 * owned.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            // A streaming copy of the state with only the issuer rewritten (the state is large; the edit is small).
            w.WriteStartObject();
            foreach (JsonProperty p in current.Data.EnumerateObject())
            {
                if (!p.NameEquals("issuer"))
                {
                    p.WriteTo(w);
                    continue;
                }
                long next = p.Value.GetProperty("next").GetInt64();
                w.WriteStartObject("issuer"u8);
                w.WriteStartArray("pending"u8);
                foreach (JsonElement id in p.Value.GetProperty("pending").EnumerateArray()) w.WriteNumberValue(id.GetInt64());
                for (int i = 0; i < owned.Length; i++)
                {
                    owned[i] = decisions[i] with { Id = new DecisionId(next) };
                    w.WriteNumberValue(next++);
                }
                w.WriteEndArray();
                w.WriteNumber("next"u8, next);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        using var edited = JsonDocument.Parse(buffer.WrittenMemory);
        Import(new PolicyState(current.Kind, current.Version, edited.RootElement.Clone()));
        return owned;
    }

    /// <summary>Reset per-decision state beyond the policy's generator (an advisor's generator, a recorded answer).</summary>
    protected virtual void PrepareDecision(long sequence, string? recordedAux)
    {
    }

    /// <summary>What the last decision needs stored for its replay (the advisor's answer as used), or null.</summary>
    public virtual string? TakeAux() => null;

    /// <summary>Calls to an advisor (a language model or its simulation), or null for kinds that consult none.</summary>
    public virtual ModelCallUsage? Usage => null;

    /// <summary>The generator state of decision <paramref name="sequence"/>'s own stream.</summary>
    public static ulong[] StreamState(ulong seed, long sequence) => new Xoshiro256(Seeds.Derive(seed, sequence)).GetState();

    protected abstract ValueTask<Decision> DecideCoreAsync(object context, CancellationToken cancellationToken);

    /// <summary>The realized context a reward comes with: checked when given, else what the decision intended (full
    /// compliance); empty for kinds without one. Throws <see cref="RequestException"/> naming the field.</summary>
    public abstract ImmutableArray<double> ReadRealized(JsonElement realized, Decision decision);

    /// <summary>Learn <paramref name="reward"/> of <paramref name="decision"/> taken in <paramref name="context"/>.</summary>
    public abstract ValueTask LearnAsync(object context, Decision decision, double reward, ImmutableArray<double> realized, CancellationToken cancellationToken);

    /// <summary>A decision rebuilt from its log line (what learning it needs: id, arm, probabilities, payload).</summary>
    public abstract Decision ReadLoggedDecision(JsonElement line);

    /// <summary>The learner's whole state.</summary>
    public abstract PolicyState Export();

    /// <summary>Replace the whole state; <see cref="PolicyStateException"/> leaves it unchanged.</summary>
    public abstract void Import(PolicyState state);

    /// <summary>Let go of what the learner holds (a language model's client).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Dispose managed resources when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Build the learner of <paramref name="spec"/>; throws <see cref="RequestException"/> naming an option the
    /// library refuses. <paramref name="creating"/>: the study is being created, so a language model that cannot be set
    /// up (no key in the environment) is refused naming <c>options.advisor.model</c>; when a stored study is opened, it
    /// becomes an advisor that abstains with the reason (every decision's fallback is recorded), so the study still opens.</summary>
    public static StudyLearner Create(StudySpec spec, Microsoft.Extensions.Logging.ILogger? logger = null, bool creating = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            return spec.Kind switch
            {
                "linucb" or "glrb" or "libra" => new RecourseLearner(spec, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, creating),
                "stdts" or "gambitts-fo" or "gambitts-po" => new ThompsonLearner(spec),
                "whittle" => new WhittleLearner(spec),
                _ => throw RequestException.Invalid("kind", $"Unknown kind '{spec.Kind}'."),
            };
        }
        catch (ArgumentException ex)
        {
            // The library validates its options and names the parameter (e.g. "Alpha"); map it to the body's field.
            string field = string.IsNullOrEmpty(ex.ParamName) ? "options" : "options." + char.ToLowerInvariant(ex.ParamName[0]) + ex.ParamName[1..];
            throw RequestException.Invalid(field, FirstLine(ex.Message));
        }
    }

    /// <summary>A library message's first line without the parameter suffix.</summary>
    internal static string FirstLinePublic(string message) => FirstLine(message);

    protected static string FirstLine(string message)
    {
        int cut = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Split('\n')[0].Trim();
    }

    protected static double[] ReadNumbers(JsonElement array, int length, string field, IReadOnlyList<string> names)
    {
        if (array.ValueKind != JsonValueKind.Array) throw RequestException.Invalid(field, $"{field} must be an array of {length} numbers or an object of feature values.");
        int count = array.GetArrayLength();
        if (count != length) throw RequestException.Invalid(field, $"{field} has {count} values; the study has {length} features ({string.Join(", ", names)}).");
        var values = new double[length];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out double v) || !double.IsFinite(v))
                throw RequestException.Invalid($"{field}[{i}]", $"{field}[{i}] ({names[i]}) must be a finite number.");
            values[i++] = v;
        }
        return values;
    }

    protected static ImmutableArray<double> ReadProbabilities(JsonElement line)
    {
        var builder = ImmutableArray.CreateBuilder<double>();
        foreach (JsonElement p in line.GetProperty("probabilities").EnumerateArray()) builder.Add(p.ValueKind == JsonValueKind.Null ? double.NaN : p.GetDouble());
        return builder.ToImmutable();
    }

    protected static DecisionNotes ReadNotes(JsonElement line) =>
        DecisionNotes.Of(line.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!));

    /// <summary>A clock that says what it is told: the decision's time, live or replayed.</summary>
    protected sealed class DecisionClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

/// <summary>linucb and glrb: <see cref="LinUcbPolicy"/> and <see cref="GlrbPolicy"/> over a recourse problem built from the spec.</summary>
internal sealed class RecourseLearner : StudyLearner
{
    private readonly Tandem.Core.Abstractions.IPolicy<double[], RecourseDecision, RecourseOutcome> _policy;
    private readonly IStateful _state;
    private readonly Dictionary<string, int> _featureIndex;
    private readonly AdvisorGateStage? _gate;
    private readonly RecordingAdvisor? _advisor;
    private readonly Xoshiro256? _advisorRandom;
    private readonly ServedLlmAdvisor? _llm;

    public RecourseLearner(StudySpec spec, Microsoft.Extensions.Logging.ILogger logger, bool creating = false)
        : base(spec)
    {
        _featureIndex = spec.Features.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        var treatments = spec.Arms.Select(a => new Treatment(a, a)).ToArray();
        if (spec.Kind == "linucb")
        {
            // LinUCB recommends no recourse; the problem needs a mutable feature only to exist (γ = 0).
            var features = spec.Features.Select(f => new Feature(f, f, Mutable: true)).ToArray();
            var problem = new RecourseProblem(spec.Id, features, treatments, RecourseNorm.L2, 0);
            var policy = new LinUcbPolicy(problem, new LinUcbOptions { Alpha = spec.Option("alpha"), Lambda = spec.Option("lambda") }, Clock);
            (_policy, _state) = (policy, policy);
        }
        else
        {
            var mutable = spec.Options["mutable"]!.AsArray().Select(n => n!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var features = spec.Features.Select(f => new Feature(f, f, Mutable: mutable.Contains(f))).ToArray();
            RecourseNorm norm = spec.Options["norm"]!.GetValue<string>() == "l1" ? RecourseNorm.L1 : RecourseNorm.L2;
            var problem = new RecourseProblem(spec.Id, features, treatments, norm, spec.Option("gamma"));
            var options = new GlrbOptions { Lambda = spec.Option("lambda"), Radius = ConfidenceRadiusRule.Constant(spec.Option("radius")) };
            var policy = new GlrbPolicy(problem, options, Clock);
            (_policy, _state) = (policy, policy);
            if (spec.Kind == "libra")
            {
                // LIBRA (seed 000 Algorithm 3) = the advisor gate over GLRB. The simulated advisor gets its own problem
                // (a problem is not shared between users) and its own generator, reset before every decision.
                var advisorSpec = spec.Options["advisor"]!.AsObject();
                var deadline = TimeSpan.FromMilliseconds(spec.Options["decisionDeadlineMs"]!.GetValue<int>());
                IRecourseAdvisor inner;
                if (advisorSpec["kind"]!.GetValue<string>() == "llm")
                {
                    _llm = ServedLlmAdvisor.Open(spec.Id, advisorSpec, deadline, creating, logger);
                    inner = _llm.Advisor;
                }
                else
                {
                    double[][] theta = [.. advisorSpec["theta"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray())];
                    var truth = new Tandem.Recourse.Environments.RecourseTruth(new RecourseProblem(spec.Id, features, treatments, norm, spec.Option("gamma")), theta);
                    _advisorRandom = new Xoshiro256(Seeds.Derive(spec.Seed, "advisor"));
                    IRecourseAdvisor simulated = new SimulatedQualityAdvisor(truth, advisorSpec["quality"]!.GetValue<double>(), _advisorRandom);
                    int latency = advisorSpec["latencyMs"]!.GetValue<int>();
                    inner = latency > 0 ? new LatentAdvisor(simulated, TimeSpan.FromMilliseconds(latency)) : simulated;
                }
                _advisor = new RecordingAdvisor(inner, deadline, spec.Id, logger);
                _gate = AdvisorGateStage.Libra(policy, _advisor, new AdvisorGateOptions { Delta = spec.Option("delta") });
                (_policy, _state) = (_gate, _gate);
            }
        }
    }

    protected override void PrepareDecision(long sequence, string? recordedAux)
    {
        if (_advisor is null) return;
        _advisorRandom?.SetState(StreamState(Seeds.Derive(Spec.Seed, "advisor"), sequence));
        _advisor.Prepare(sequence, recordedAux);
    }

    public override string? TakeAux() => _advisor?.TakeRecorded();

    public override ModelCallUsage? Usage => _gate is null ? null : new ModelCallUsage(
        _gate.Ledger.Queries, _gate.Ledger.Followed, _gate.Ledger.Projected, new Dictionary<string, int>(_gate.Ledger.Fallbacks), _advisor!.LateAnswers)
    {
        Model = _llm?.Usage,
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) _llm?.Dispose();
        base.Dispose(disposing);
    }

    public override string PolicyName => _policy.Name;

    public override bool CanDecideFromSnapshot => _gate is null;

    public override object ReadContext(JsonElement context)
    {
        if (context.ValueKind == JsonValueKind.Object)
        {
            var values = new double[Spec.Features.Count];
            var seen = new bool[values.Length];
            foreach (JsonProperty p in context.EnumerateObject())
            {
                if (!_featureIndex.TryGetValue(p.Name, out int i))
                    throw RequestException.Invalid("context." + p.Name, $"Unknown feature '{p.Name}'. The study's features: {string.Join(", ", Spec.Features)}.");
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double v) || !double.IsFinite(v))
                    throw RequestException.Invalid("context." + p.Name, $"Feature '{p.Name}' must be a finite number.");
                values[i] = v;
                seen[i] = true;
            }
            int missing = Array.IndexOf(seen, false);
            if (missing >= 0) throw RequestException.Invalid("context." + Spec.Features[missing], $"Feature '{Spec.Features[missing]}' is missing.");
            return values;
        }
        if (context.ValueKind == JsonValueKind.Undefined) throw RequestException.Invalid("context", "context is required.");
        return ReadNumbers(context, Spec.Features.Count, "context", Spec.Features);
    }

    public override void WriteContext(Utf8JsonWriter writer, object context) => Tandem.Core.Logging.DecisionLogFile.WriteVector(writer, (double[])context);

    public override object ReadLoggedContext(JsonElement logged) => logged.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    protected override async ValueTask<Decision> DecideCoreAsync(object context, CancellationToken cancellationToken) =>
        await _policy.DecideAsync((double[])context, cancellationToken).ConfigureAwait(false);

    public override ImmutableArray<double> ReadRealized(JsonElement realized, Decision decision)
    {
        if (realized.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return decision is RecourseDecision r ? r.Recourse : throw RequestException.Invalid("realizedContext", "This decision has no recourse; give realizedContext.");
        return [.. ReadNumbers(realized, Spec.Features.Count, "realizedContext", Spec.Features)];
    }

    public override ValueTask LearnAsync(object context, Decision decision, double reward, ImmutableArray<double> realized, CancellationToken cancellationToken) =>
        _policy.LearnAsync((double[])context, (RecourseDecision)decision, new RecourseOutcome(reward, double.NaN, realized), cancellationToken);

    public override Decision ReadLoggedDecision(JsonElement line)
    {
        JsonElement payload = line.GetProperty("payload");
        return new RecourseDecision
        {
            Id = new DecisionId(line.GetProperty("decisionId").GetInt64()),
            Time = line.GetProperty("time").GetDateTimeOffset(),
            Arm = line.GetProperty("arm").GetInt32(),
            Probabilities = ReadProbabilities(line),
            Notes = ReadNotes(line),
            Recourse = payload.TryGetProperty("recourse", out var r) ? [.. r.EnumerateArray().Select(v => v.GetDouble())] : [],
            ConfidenceWidth = payload.TryGetProperty("confidenceWidth", out var w) && w.ValueKind == JsonValueKind.Number ? w.GetDouble() : double.NaN,
        };
    }

    public override PolicyState Export() => _state.ExportState();

    public override void Import(PolicyState state) => _state.ImportState(state);
}

/// <summary>The GAMBITTS kinds (seed 002) over named contexts: stdts (<see cref="StandardThompson"/>, a Normal-Inverse-Gamma
/// posterior per prompt, or per (context, prompt) when contextual), gambitts-fo (<see cref="FullyOnlineGambitts"/>: treatment
/// and reward models learned online from the style scores z sent back with each reward) and gambitts-po
/// (<see cref="PartiallyOnlineGambitts"/>: the treatment model from the spec's bank, offline; the reward model online).</summary>
internal sealed class ThompsonLearner : StudyLearner
{
    private readonly GambitAgent _agent;
    private readonly int _styles;

    public ThompsonLearner(StudySpec spec)
        : base(spec)
    {
        var names = spec.Options["contexts"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
        var space = new ContextSpace(names, [], names.Select(_ => (IReadOnlyList<double>)[]).ToArray());
        var options = new AgentOptions { PropensityDraws = spec.Options["propensityDraws"]!.GetValue<int>() };
        _styles = spec.Options["styles"]?.AsArray().Count ?? 0;
        _agent = spec.Kind switch
        {
            "gambitts-fo" => new FullyOnlineGambitts(space, spec.Arms.Count, _styles, options, Random, Clock),
            "gambitts-po" => new PartiallyOnlineGambitts(new BankGenerator(space, spec.Options["bank"]!.AsArray(), _styles),
                options with { OfflineDraws = spec.Options["offlineDraws"]!.GetValue<int>() }, Random, Seeds.CreateRandom(Seeds.Derive(spec.Seed, "offline-draws")), Clock),
            _ => new StandardThompson(space, spec.Arms.Count, spec.Options["contextual"]!.GetValue<bool>(), options, Random, Clock),
        };
    }

    public override string PolicyName => _agent.Name;

    public override bool CanDecideFromSnapshot => true;

    public override object ReadContext(JsonElement context)
    {
        if (context.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            if (_agent.Contexts.Count == 1) return _agent.Contexts[0];
            throw RequestException.Invalid("context", $"context is required: one of {string.Join(", ", _agent.Contexts.Names)}.");
        }
        if (context.ValueKind != JsonValueKind.String || !_agent.Contexts.TryParse(context.GetString(), out GambitContext parsed)
            || int.TryParse(context.GetString(), out _))
            throw RequestException.Invalid("context", $"context must be one of the study's context names: {string.Join(", ", _agent.Contexts.Names)}.");
        return parsed;
    }

    public override void WriteContext(Utf8JsonWriter writer, object context) => writer.WriteStringValue(((GambitContext)context).ToString());

    public override object ReadLoggedContext(JsonElement logged) =>
        _agent.Contexts.TryParse(logged.GetString(), out GambitContext c) ? c : throw new InvalidDataException($"Logged context '{logged}' is not one of the study's.");

    protected override ValueTask<Decision> DecideCoreAsync(object context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Decision>(_agent.Decide((GambitContext)context));

    public override ImmutableArray<double> ReadRealized(JsonElement realized, Decision decision)
    {
        bool absent = realized.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;
        if (_styles == 0) return absent ? [] : throw RequestException.Invalid("realizedContext", "A stdts study takes no realized context.");
        if (absent) throw RequestException.Invalid("realizedContext", $"realizedContext is required: the style scores z of the message sent ({string.Join(", ", Spec.Options["styles"]!.AsArray())}).");
        return [.. ReadNumbers(realized, _styles, "realizedContext", [.. Spec.Options["styles"]!.AsArray().Select(n => n!.GetValue<string>())])];
    }

    public override ValueTask LearnAsync(object context, Decision decision, double reward, ImmutableArray<double> realized, CancellationToken cancellationToken)
    {
        _agent.Learn((GambitContext)context, (GambitDecision)decision, new GambitOutcome(reward, double.NaN, realized, -1));
        return ValueTask.CompletedTask;
    }

    public override Decision ReadLoggedDecision(JsonElement line) => new GambitDecision
    {
        Id = new DecisionId(line.GetProperty("decisionId").GetInt64()),
        Time = line.GetProperty("time").GetDateTimeOffset(),
        Arm = line.GetProperty("arm").GetInt32(),
        Probabilities = ReadProbabilities(line),
        Notes = ReadNotes(line),
        PropensityDraws = line.GetProperty("payload").TryGetProperty("propensityDraws", out var d) ? d.GetInt32() : 0,
    };

    public override PolicyState Export() => _agent.ExportState();

    public override void Import(PolicyState state) => _agent.ImportState(state);
}

/// <summary>poGAMBITTS's generator in a served study: a uniformly drawn response of the (prompt, context) cell from the
/// spec's bank of style vectors (what the offline treatment model is fitted to before the study).</summary>
internal sealed class BankGenerator : Tandem.Gambit.Environment.ITreatmentGenerator
{
    private readonly double[][][][] _bank; // [prompt][context][response][style]

    public BankGenerator(ContextSpace contexts, System.Text.Json.Nodes.JsonArray bank, int styles)
    {
        Contexts = contexts;
        EmbeddingDimension = styles;
        _bank = [.. bank.Select(p => p!.AsArray().Select(c => c!.AsArray().Select(z => z!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray()).ToArray())];
    }

    public int PromptCount => _bank.Length;

    public ContextSpace Contexts { get; }

    public int EmbeddingDimension { get; }

    public void Generate(int prompt, GambitContext context, Random random, Span<double> embedding)
    {
        double[][] cell = _bank[prompt][context.Index];
        cell[random.Next(cell.Length)].CopyTo(embedding);
    }
}
