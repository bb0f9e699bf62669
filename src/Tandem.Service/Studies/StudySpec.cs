using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tandem.Service.Studies;

/// <summary>
/// A study's spec as created (<c>POST /v1/studies</c>): id, kind, arm and feature names and the kind's options, checked
/// field by field (each refusal names the field). Immutable; <see cref="ToJson"/> is what is stored and shown.
/// </summary>
public sealed partial record StudySpec
{
    /// <summary>The learner kinds this build serves.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["linucb", "glrb", "libra", "stdts", "gambitts-fo", "gambitts-po", "whittle"];

    /// <summary>Most arms a study may have.</summary>
    public const int MaxArms = 50;

    /// <summary>Most beneficiaries (arms) a whittle study may have.</summary>
    public const int MaxBeneficiaries = 2000;

    /// <summary>Most features a study may have.</summary>
    public const int MaxFeatures = 100;

    /// <summary>The study id: 1–64 letters, digits, '-' or '_'.</summary>
    public required string Id { get; init; }

    /// <summary>One of <see cref="Kinds"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>Arm names (K of them), distinct.</summary>
    public required IReadOnlyList<string> Arms { get; init; }

    /// <summary>True for the kinds that decide over named contexts (stdts, gambitts-fo, gambitts-po) rather than feature vectors.</summary>
    public static bool IsGambit(string kind) => kind is "stdts" or "gambitts-fo" or "gambitts-po";

    /// <summary>True for the kinds whose context is a vector of named features (linucb, glrb, libra).</summary>
    public static bool HasFeatures(string kind) => kind is "linucb" or "glrb" or "libra";

    /// <summary>Feature names (d of them), distinct; empty for the GAMBITTS kinds and whittle.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>The kind's options, with every default filled in.</summary>
    public required JsonObject Options { get; init; }

    /// <summary>The study's random seed (options.seed, or drawn at creation and stored).</summary>
    public required ulong Seed { get; init; }

    /// <summary>The safe default when the learner fails: null for a uniformly random arm, else the arm's index.</summary>
    public int? SafeDefaultArm { get; init; }

    /// <summary>Rewards learned per update (options.batchSize, docs/hot-studies.md): 1 learns every reward at once (the
    /// default); B &gt; 1 queues rewards and learns them B at a time, publishing a new snapshot version after each batch,
    /// and every decision is made from the latest published snapshot. Range: 1..<see cref="Tandem.Core.Composition.SnapshotBatching.MaxBatchSize"/>.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Read and check a creation body. Throws <see cref="RequestException"/> (400) naming the field.</summary>
    public static StudySpec Parse(JsonElement body, Func<ulong> drawSeed)
    {
        ArgumentNullException.ThrowIfNull(drawSeed);
        if (body.ValueKind != JsonValueKind.Object) throw RequestException.Invalid("$", "The body must be a JSON object.");
        RejectUnknown(body, "", ["id", "kind", "arms", "features", "options"]);
        string id = RequiredString(body, "id");
        if (!IdPattern().IsMatch(id)) throw RequestException.Invalid("id", "The id must have 1 to 64 letters, digits, '-' or '_'.");
        string kind = RequiredString(body, "kind").ToLowerInvariant();
        if (!Kinds.Contains(kind)) throw RequestException.Invalid("kind", $"Unknown kind '{kind}'. This build serves: {string.Join(", ", Kinds)}.");
        var arms = Names(body, "arms", required: true, max: kind == "whittle" ? MaxBeneficiaries : MaxArms);
        if (arms.Count == 0) throw RequestException.Invalid("arms", "A study needs at least one arm.");
        var features = Names(body, "features", required: HasFeatures(kind), max: MaxFeatures);
        if (!HasFeatures(kind) && features.Count > 0)
            throw RequestException.Invalid("features", kind == "whittle" ? "A whittle study has no features; its arms are the beneficiaries and its context their states."
                : $"A {kind} study has no features; its contexts are named in options.contexts.");
        if (HasFeatures(kind) && features.Count == 0) throw RequestException.Invalid("features", "A study of this kind needs at least one feature.");

        JsonElement options = body.TryGetProperty("options", out var o) ? o : default;
        if (options.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object))
            throw RequestException.Invalid("options", "The options must be a JSON object.");
        var resolved = new JsonObject();
        string[] common = ["seed", "safeDefault", "batchSize"];
        string[] own = kind switch
        {
            "linucb" => ["alpha", "lambda"],
            "glrb" => ["lambda", "radius", "mutable", "gamma", "norm"],
            "libra" => ["lambda", "radius", "mutable", "gamma", "norm", "delta", "decisionDeadlineMs", "advisor"],
            "stdts" => ["contexts", "contextual", "propensityDraws"],
            "gambitts-fo" => ["contexts", "propensityDraws", "styles"],
            "whittle" => ["budget", "discount", "priorStrength", "groups", "stateRewards"],
            _ => ["contexts", "propensityDraws", "styles", "bank", "offlineDraws"],
        };
        if (options.ValueKind == JsonValueKind.Object) RejectUnknown(options, "options.", [.. common, .. own]);

        ulong seed = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("seed", out var s)
            ? (s.ValueKind == JsonValueKind.Number && s.TryGetUInt64(out ulong v) ? v : throw RequestException.Invalid("options.seed", "The seed must be an integer in 0..18446744073709551615."))
            : drawSeed();
        int? safeArm = null;
        string safe = OptionalString(options, "safeDefault") ?? "uniform";
        if (!string.Equals(safe, "uniform", StringComparison.Ordinal))
        {
            int index = arms.IndexOf(safe);
            if (kind == "whittle") throw RequestException.Invalid("options.safeDefault", "A whittle study's safe default is \"uniform\": B beneficiaries drawn at random.");
            if (index < 0) throw RequestException.Invalid("options.safeDefault", $"The safe default must be \"uniform\" or an arm name; '{safe}' is neither.");
            safeArm = index;
        }
        resolved["safeDefault"] = safe;
        double batch = Number(options, "batchSize", 1);
        if (batch != Math.Floor(batch) || batch < 1 || batch > Tandem.Core.Composition.SnapshotBatching.MaxBatchSize)
            throw RequestException.Invalid("options.batchSize", $"batchSize must be an integer in 1..{Tandem.Core.Composition.SnapshotBatching.MaxBatchSize} (rewards learned per update; 1 learns each at once).");
        // Stored only when it is not the default, so the spec of a study without batching is what it always was.
        if (batch > 1) resolved["batchSize"] = (int)batch;
        switch (kind)
        {
            case "linucb":
                resolved["alpha"] = Number(options, "alpha", 1.0);
                resolved["lambda"] = Number(options, "lambda", 1.0);
                break;
            case "glrb" or "libra":
                resolved["lambda"] = Number(options, "lambda", 1.0);
                resolved["radius"] = Number(options, "radius", 1.0);
                resolved["gamma"] = Number(options, "gamma", 1.0);
                string norm = (OptionalString(options, "norm") ?? "l2").ToLowerInvariant();
                if (norm is not ("l2" or "l1")) throw RequestException.Invalid("options.norm", $"The recourse norm must be \"l2\" or \"l1\"; got '{norm}'.");
                resolved["norm"] = norm;
                var mutable = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("mutable", out _) ? Names(options, "mutable", true, MaxFeatures, "options.") : features;
                if (mutable.Count == 0) throw RequestException.Invalid("options.mutable", "GLRB needs at least one mutable feature.");
                foreach (string m in mutable)
                    if (!features.Contains(m)) throw RequestException.Invalid("options.mutable", $"'{m}' is not one of the study's features.");
                resolved["mutable"] = new JsonArray([.. mutable.Select(m => (JsonNode)m)]);
                if (kind == "libra")
                {
                    resolved["delta"] = Number(options, "delta", 1.0);
                    double deadline = Number(options, "decisionDeadlineMs", 2000);
                    if (deadline != Math.Floor(deadline) || deadline < 1 || deadline > 600_000)
                        throw RequestException.Invalid("options.decisionDeadlineMs", "decisionDeadlineMs must be an integer in 1..600000.");
                    resolved["decisionDeadlineMs"] = (int)deadline;
                    resolved["advisor"] = ParseAdvisor(options, arms.Count, features.Count);
                }
                break;
            case "whittle":
                ParseWhittle(options, arms, resolved);
                break;
            default:
                var contexts = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("contexts", out _) ? Names(options, "contexts", true, 1000, "options.") : ["default"];
                if (contexts.Count == 0) throw RequestException.Invalid("options.contexts", "A study of this kind needs at least one context name.");
                foreach (string c in contexts)
                    if (int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) throw RequestException.Invalid("options.contexts", $"Context name '{c}' is an integer; names must not be.");
                resolved["contexts"] = new JsonArray([.. contexts.Select(c => (JsonNode)c)]);
                bool contextual = false;
                if (options.ValueKind == JsonValueKind.Object && options.TryGetProperty("contextual", out var cx))
                    contextual = cx.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw RequestException.Invalid("options.contextual", "contextual must be true or false.") };
                resolved["contextual"] = contextual;
                double draws = Number(options, "propensityDraws", 100);
                if (draws != Math.Floor(draws) || draws < 0 || draws > 100_000) throw RequestException.Invalid("options.propensityDraws", "propensityDraws must be an integer in 0..100000.");
                resolved["propensityDraws"] = (int)draws;
                if (kind == "stdts") break;
                // GAMBITTS (seed 002): the treatment is the text's style scores z (one per style dimension), sent back with the reward.
                resolved.Remove("contextual");
                var styles = Names(options, "styles", true, 100, "options.");
                if (styles.Count == 0) throw RequestException.Invalid("options.styles", "GAMBITTS needs at least one style dimension (the treatment embedding's coordinates).");
                resolved["styles"] = new JsonArray([.. styles.Select(c => (JsonNode)c)]);
                if (kind == "gambitts-po")
                {
                    double offline = Number(options, "offlineDraws", 500);
                    if (offline != Math.Floor(offline) || offline < 1 || offline > 100_000) throw RequestException.Invalid("options.offlineDraws", "offlineDraws must be an integer in 1..100000.");
                    resolved["offlineDraws"] = (int)offline;
                    resolved["bank"] = ParseBank(options, arms.Count, contexts.Count, styles.Count);
                }
                break;
        }
        return new StudySpec { Id = id, Kind = kind, Arms = arms, Features = features, Options = resolved, Seed = seed, SafeDefaultArm = safeArm, BatchSize = (int)batch };
    }

    /// <summary>Read a stored spec (written by <see cref="ToJson"/>).</summary>
    public static StudySpec FromJson(string json, ulong seed)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node["options"]!.AsObject()["seed"] = seed;
        using var document = JsonDocument.Parse(node.ToJsonString());
        return Parse(document.RootElement, () => seed);
    }

    /// <summary>The spec as stored and shown (the seed is stored beside it, not in it).</summary>
    public string ToJson() => new JsonObject
    {
        ["id"] = Id,
        ["kind"] = Kind,
        ["arms"] = new JsonArray([.. Arms.Select(a => (JsonNode)a)]),
        ["features"] = new JsonArray([.. Features.Select(f => (JsonNode)f)]),
        ["options"] = Options.DeepClone(),
    }.ToJsonString();

    /// <summary>A resolved number option (range checks are the library's Validate).</summary>
    public double Option(string name) => Options[name]!.GetValue<double>();

    // The advisor of a libra study: the seed's simulated advisor (000 §6: with probability q the optimal pair under θ*
    // given here, otherwise a random treatment and a random feasible recourse; a simulation for pilots and tests, stated
    // as such), or a language model named by the specs the CLI takes (Tandem.Llm's LlmSpec), asked through the library's
    // LIBRA advisor port. A model's key comes from the service's environment (TANDEM_LLM_API_KEY, or OPENAI_API_KEY for
    // OpenAI's host), never from a request: LlmSpec refuses credentials in the URL, so the stored spec holds none.
    private static JsonObject ParseAdvisor(JsonElement options, int arms, int features)
    {
        if (options.ValueKind != JsonValueKind.Object || !options.TryGetProperty("advisor", out var advisor) || advisor.ValueKind != JsonValueKind.Object)
            throw RequestException.Invalid("options.advisor", "A libra study needs an advisor: {\"kind\":\"simulated\",\"quality\":q,\"theta\":[[...], ...]} or {\"kind\":\"llm\",\"model\":\"" + Tandem.Llm.Providers.LlmSpec.Allowed + "\"}.");
        string kind = advisor.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
        if (kind == "llm") return ParseLlmAdvisor(advisor);
        if (kind != "simulated")
            throw RequestException.Invalid("options.advisor.kind", $"Unknown advisor kind '{kind}'. This build serves: simulated, llm.");
        RejectUnknown(advisor, "options.advisor.", ["kind", "quality", "theta", "latencyMs"]);
        double quality = Number(advisor, "quality", 0.8, "options.advisor.");
        if (quality is < 0 or > 1) throw RequestException.Invalid("options.advisor.quality", "quality must lie in [0, 1].");
        double latency = Number(advisor, "latencyMs", 0, "options.advisor.");
        if (latency != Math.Floor(latency) || latency < 0 || latency > 600_000) throw RequestException.Invalid("options.advisor.latencyMs", "latencyMs must be an integer in 0..600000.");
        if (!advisor.TryGetProperty("theta", out var theta) || theta.ValueKind != JsonValueKind.Array || theta.GetArrayLength() != arms)
            throw RequestException.Invalid("options.advisor.theta", $"theta must be an array of {arms} rows (one per arm) of {features} numbers: the simulated advisor's θ*.");
        var rows = new JsonArray();
        int a = 0;
        foreach (JsonElement row in theta.EnumerateArray())
        {
            string at = $"options.advisor.theta[{a++}]";
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != features) throw RequestException.Invalid(at, $"Each row of theta must have {features} numbers.");
            var values = new JsonArray();
            foreach (JsonElement v in row.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x)) throw RequestException.Invalid(at, "theta's values must be finite numbers.");
                values.Add(x);
            }
            rows.Add(values);
        }
        return new JsonObject { ["kind"] = "simulated", ["quality"] = quality, ["latencyMs"] = (int)latency, ["theta"] = rows };
    }

    // A whittle study (seed 001's planner): budget B of calls per step, discount, the estimator's prior strength κ, the
    // groups its pooled prior is formed over (one label per beneficiary; one pool by default) and the reward of each state.
    private static void ParseWhittle(JsonElement options, List<string> arms, JsonObject resolved)
    {
        double budget = Number(options, "budget", double.NaN);
        if (double.IsNaN(budget)) throw RequestException.Invalid("options.budget", "A whittle study needs options.budget: the calls per step (an integer in 1..the number of beneficiaries).");
        if (budget != Math.Floor(budget) || budget < 1 || budget > arms.Count)
            throw RequestException.Invalid("options.budget", $"budget must be an integer in 1..{arms.Count} (the number of beneficiaries).");
        resolved["budget"] = (int)budget;
        double discount = Number(options, "discount", 0.9);
        if (!(discount >= 0 && discount < 1)) throw RequestException.Invalid("options.discount", "discount must lie in [0, 1).");
        resolved["discount"] = discount;
        double kappa = Number(options, "priorStrength", 2.0);
        if (!(kappa > 0 && kappa <= Tandem.Rmab.History.HistoryEstimateOptions.MaxPriorStrength))
            throw RequestException.Invalid("options.priorStrength", $"priorStrength must lie in (0, {Tandem.Rmab.History.HistoryEstimateOptions.MaxPriorStrength:0e0}].");
        resolved["priorStrength"] = kappa;
        if (options.ValueKind == JsonValueKind.Object && options.TryGetProperty("groups", out var groups) && groups.ValueKind != JsonValueKind.Null)
        {
            if (groups.ValueKind != JsonValueKind.Array || groups.GetArrayLength() != arms.Count)
                throw RequestException.Invalid("options.groups", $"groups must be an array of {arms.Count} labels, one per beneficiary (the pooled prior's groups).");
            var labels = new JsonArray();
            int i = 0;
            foreach (JsonElement g in groups.EnumerateArray())
            {
                if (g.ValueKind != JsonValueKind.String || g.GetString()!.Trim().Length is 0 or > 100)
                    throw RequestException.Invalid($"options.groups[{i}]", "A group label must be a string of 1 to 100 characters.");
                labels.Add(g.GetString()!.Trim());
                i++;
            }
            resolved["groups"] = labels;
        }
        double[] stateRewards = [0, 1];
        if (options.ValueKind == JsonValueKind.Object && options.TryGetProperty("stateRewards", out var sr) && sr.ValueKind != JsonValueKind.Null)
        {
            if (sr.ValueKind != JsonValueKind.Array || sr.GetArrayLength() != 2 || sr.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble())))
                throw RequestException.Invalid("options.stateRewards", "stateRewards must be two finite numbers: the reward of a beneficiary not engaged (state 0) and engaged (state 1).");
            stateRewards = [.. sr.EnumerateArray().Select(v => v.GetDouble())];
        }
        resolved["stateRewards"] = new JsonArray(stateRewards[0], stateRewards[1]);
    }

    private static JsonObject ParseLlmAdvisor(JsonElement advisor)
    {
        RejectUnknown(advisor, "options.advisor.", ["kind", "model", "temperature", "maxOutputTokens", "retries"]);
        if (!advisor.TryGetProperty("model", out var m) || m.ValueKind != JsonValueKind.String)
            throw RequestException.Invalid("options.advisor.model", "An llm advisor needs model: " + Tandem.Llm.Providers.LlmSpec.Allowed + ".");
        Tandem.Llm.Providers.LlmSpec model;
        try
        {
            model = Tandem.Llm.Providers.LlmSpec.Parse(m.GetString()!);
        }
        catch (FormatException ex)
        {
            throw RequestException.Invalid("options.advisor.model", ex.Message);
        }
        double temperature = Number(advisor, "temperature", 0, "options.advisor.");
        double tokens = Number(advisor, "maxOutputTokens", 200, "options.advisor.");
        double retries = Number(advisor, "retries", 0, "options.advisor.");
        if (retries != Math.Floor(retries) || retries is < 0 or > 10) throw RequestException.Invalid("options.advisor.retries", "retries must be an integer in 0..10.");
        if (tokens != Math.Floor(tokens) || tokens is < 1 or > 1_000_000) throw RequestException.Invalid("options.advisor.maxOutputTokens", "maxOutputTokens must be an integer in 1..1000000.");
        try
        {
            new Tandem.Llm.Libra.LlmAdvisorOptions { Temperature = (float)temperature, MaxOutputTokens = (int)tokens }.Validate();
        }
        catch (ArgumentException ex)
        {
            string field = ex.ParamName?.Contains("oken", StringComparison.OrdinalIgnoreCase) == true ? "maxOutputTokens" : "temperature";
            throw RequestException.Invalid("options.advisor." + field, StudyLearner.FirstLinePublic(ex.Message));
        }
        // The spec as text with any credential masked (Parse refused credentials anyway): safe to store and show.
        return new JsonObject { ["kind"] = "llm", ["model"] = model.ToString(), ["temperature"] = temperature, ["maxOutputTokens"] = (int)tokens, ["retries"] = (int)retries };
    }

    // poGAMBITTS's offline treatment model is learned from generator draws before the study (seed 002 Algorithm 2); the
    // service takes them as a bank: for every prompt, for every context, the style scores of pre-generated responses.
    private static JsonArray ParseBank(JsonElement options, int prompts, int contexts, int styles)
    {
        if (!options.TryGetProperty("bank", out var bank) || bank.ValueKind != JsonValueKind.Array || bank.GetArrayLength() != prompts)
            throw RequestException.Invalid("options.bank", $"bank must have {prompts} entries (one per arm/prompt), each with {contexts} lists (one per context) of style vectors of {styles} numbers.");
        var result = new JsonArray();
        int p = 0;
        foreach (JsonElement prompt in bank.EnumerateArray())
        {
            string at = $"options.bank[{p++}]";
            if (prompt.ValueKind != JsonValueKind.Array || prompt.GetArrayLength() != contexts) throw RequestException.Invalid(at, $"Each prompt needs {contexts} lists of responses (one per context).");
            var perContext = new JsonArray();
            int c = 0;
            foreach (JsonElement cell in prompt.EnumerateArray())
            {
                string cellAt = $"{at}[{c++}]";
                if (cell.ValueKind != JsonValueKind.Array || cell.GetArrayLength() == 0) throw RequestException.Invalid(cellAt, "Each (prompt, context) needs at least one response's style vector.");
                var responses = new JsonArray();
                int r = 0;
                foreach (JsonElement z in cell.EnumerateArray())
                {
                    string zAt = $"{cellAt}[{r++}]";
                    if (z.ValueKind != JsonValueKind.Array || z.GetArrayLength() != styles) throw RequestException.Invalid(zAt, $"A style vector has {styles} numbers.");
                    var values = new JsonArray();
                    foreach (JsonElement v in z.EnumerateArray())
                    {
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x)) throw RequestException.Invalid(zAt, "Style scores must be finite numbers.");
                        values.Add(x);
                    }
                    responses.Add(values);
                }
                perContext.Add(responses);
            }
            result.Add(perContext);
        }
        return result;
    }

    private static double Number(JsonElement options, string name, double fallback, string prefix = "options.")
    {
        if (options.ValueKind != JsonValueKind.Object || !options.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double x) || !double.IsFinite(x))
            throw RequestException.Invalid(prefix + name, $"{name} must be a finite number.");
        return x;
    }

    private static string? OptionalString(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw RequestException.Invalid("options." + name, $"{name} must be a string.");
    }

    private static string RequiredString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) throw RequestException.Invalid(name, $"{name} is required.");
        if (value.ValueKind != JsonValueKind.String) throw RequestException.Invalid(name, $"{name} must be a string.");
        return value.GetString()!.Trim();
    }

    private static List<string> Names(JsonElement obj, string name, bool required, int max, string prefix = "")
    {
        string field = prefix + name;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw RequestException.Invalid(field, $"{name} is required (an array of names).") : [];
        if (value.ValueKind != JsonValueKind.Array) throw RequestException.Invalid(field, $"{name} must be an array of names.");
        if (value.GetArrayLength() > max) throw RequestException.Invalid(field, $"{name} has {value.GetArrayLength()} entries; at most {max} are allowed.");
        var names = new List<string>();
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            string at = $"{field}[{i++}]";
            if (item.ValueKind != JsonValueKind.String) throw RequestException.Invalid(at, "A name must be a string.");
            string n = item.GetString()!.Trim();
            if (n.Length is 0 or > 100) throw RequestException.Invalid(at, "A name must have 1 to 100 characters.");
            if (names.Contains(n, StringComparer.OrdinalIgnoreCase)) throw RequestException.Invalid(at, $"'{n}' appears twice.");
            names.Add(n);
        }
        return names;
    }

    private static void RejectUnknown(JsonElement obj, string prefix, string[] allowed)
    {
        foreach (JsonProperty p in obj.EnumerateObject())
            if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                throw RequestException.Invalid(prefix + p.Name, $"Unknown field '{p.Name}'. Allowed: {string.Join(", ", allowed)}.");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}
