using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Tandem.Core.State;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Api;

/// <summary>The creation body of a study (documentation of <c>POST /v1/studies</c>; the handler reads the JSON itself so
/// that every refusal names its field).</summary>
/// <param name="Id">1–64 letters, digits, '-' or '_'.</param>
/// <param name="Kind">linucb, glrb or stdts.</param>
/// <param name="Arms">Arm names.</param>
/// <param name="Features">Feature names (none for stdts).</param>
/// <param name="Options">The kind's options (docs/service.md).</param>
public sealed record CreateStudyRequest(string Id, string Kind, string[] Arms, string[]? Features, JsonElement? Options);

/// <summary>A created study and its key, shown this once.</summary>
/// <param name="Id">The study id.</param>
/// <param name="ApiKey">The study's key: send it as <c>Authorization: Bearer KEY</c>. Only its salted hash is stored.</param>
public sealed record CreateStudyResponse(string Id, string ApiKey);

/// <summary>A decision request.</summary>
/// <param name="Context">An array of d numbers, an object of feature values, or (stdts) a context name.</param>
/// <param name="Subject">An opaque subject id, stored with the decision.</param>
/// <param name="RequestId">An idempotency key: the same key returns the same decision.</param>
public sealed record DecisionRequest(JsonElement? Context, string? Subject, string? RequestId);

/// <summary>A plan request (whittle studies).</summary>
/// <param name="States">Each beneficiary's current state (0 = not engaged, 1 = engaged): an array in the study's order or an
/// object naming every beneficiary.</param>
/// <param name="Subject">An opaque label stored with the plan (e.g. the week).</param>
/// <param name="RequestId">An idempotency key: the same key returns the same plan.</param>
public sealed record PlanRequest(JsonElement States, string? Subject, string? RequestId);

/// <summary>A reward request.</summary>
/// <param name="DecisionId">The decision's id.</param>
/// <param name="Reward">The observed reward (finite).</param>
/// <param name="RealizedContext">What was actually implemented (linucb/glrb), when it differs from the recommendation.</param>
public sealed record RewardRequest(string DecisionId, double Reward, double[]? RealizedContext);

/// <summary>The service's HTTP API, registered by one extension (STYLE 13): static handlers, problem documents naming the
/// field for every refusal.</summary>
public static class StudiesApi
{
    /// <summary>Map every endpoint.</summary>
    public static IEndpointRouteBuilder MapTandemApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithName("Health").WithSummary("Liveness: the service is up and its studies are loaded.");
        app.MapGet("/metrics", MetricsAsync).WithName("Metrics").WithSummary("Prometheus text (admin key): commits, events, failures, safe defaults, per-study counts.")
            .Produces<string>(200, "text/plain").ProducesProblem(401);
        var v1 = app.MapGroup("/v1/studies");
        v1.MapPost("/", CreateStudyAsync).WithName("CreateStudy").WithSummary("Create a study (admin key); its key is shown once.")
            .Accepts<CreateStudyRequest>("application/json").Produces<CreateStudyResponse>(201).ProducesProblem(400).ProducesProblem(401).ProducesProblem(409).ProducesProblem(413);
        v1.MapPost("/{id}/decisions", DecideAsync).WithName("Decide").WithSummary("Decide for a context (study key); idempotent by requestId.")
            .Accepts<DecisionRequest>("application/json").Produces<DecisionView>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(413);
        v1.MapPost("/{id}/plan", PlanAsync).WithName("Plan").WithSummary("This step's call list of a whittle study from the beneficiaries' states (study key); idempotent by requestId.")
            .Accepts<PlanRequest>("application/json").Produces<DecisionView>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(413);
        v1.MapPost("/{id}/rewards", RewardAsync).WithName("Reward").WithSummary("Record the reward of a decision (study key); 409 when it already has one.")
            .Accepts<RewardRequest>("application/json").Produces<RewardView>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(409);
        v1.MapGet("/{id}", StatusAsync).WithName("GetStudy").WithSummary("Counts, model version and the policy spec.")
            .Produces<StudyStatus>(200).ProducesProblem(401).ProducesProblem(404);
        v1.MapGet("/{id}/log", LogAsync).WithName("GetLog").WithSummary("The decision log as JSON lines (docs/decision-log.md), decisions after N.")
            .Produces<string>(200, "application/x-ndjson").ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(503);
        v1.MapGet("/{id}/snapshot", ExportAsync).WithName("GetSnapshot").WithSummary("The learner's state (a PolicyState document).")
            .Produces<PolicyState>(200).ProducesProblem(401).ProducesProblem(404);
        v1.MapPut("/{id}/snapshot", RestoreAsync).WithName("PutSnapshot").WithSummary("Replace the learner's state (admin key).")
            .Accepts<PolicyState>("application/json").Produces<StudyStatus>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404);
        return app;
    }

    private static async Task<IResult> MetricsAsync(HttpContext http, StudyRegistry registry, AdminKey admin, ServiceMetrics metrics)
    {
        if (!admin.Verify(Bearer(http))) return Unauthorized("The metrics need the admin key (they name every study).");
        return TypedResults.Text(await metrics.RenderAsync(registry, http.RequestAborted).ConfigureAwait(false), "text/plain; version=0.0.4");
    }

    private static async Task<IResult> CreateStudyAsync(HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options)
    {
        if (!admin.Verify(Bearer(http))) return Unauthorized("Creating a study needs the admin key.");
        try
        {
            using JsonDocument body = await ReadBodyAsync(http, options.MaxBodyBytes).ConfigureAwait(false);
            StudySpec spec = StudySpec.Parse(body.RootElement, StudyRegistry.DrawSeed);
            string key = await registry.CreateAsync(spec, http.RequestAborted).ConfigureAwait(false);
            return TypedResults.Created($"/v1/studies/{spec.Id}", new CreateStudyResponse(spec.Id, key));
        }
        catch (RequestException ex)
        {
            return Problem(ex);
        }
    }

    private static Task<IResult> DecideAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options) =>
        AskAsync(id, http, registry, admin, options, plan: false);

    private static Task<IResult> PlanAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options) =>
        AskAsync(id, http, registry, admin, options, plan: true);

    // One path for a decision (`context`) and a whittle study's call list (`states`): the two differ only in the field
    // that carries the input and in which kind of study may be asked.
    private static async Task<IResult> AskAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options, bool plan)
    {
        if (Authorize(id, http, registry, admin, adminOnly: false, out IStudyHost? study) is { } refused) return refused;
        try
        {
            bool whittle = study!.Spec.Kind == "whittle";
            if (plan && !whittle)
                throw RequestException.Invalid("$", $"Study '{id}' is a {study.Spec.Kind} study: only whittle studies plan; ask it with POST /v1/studies/{id}/decisions.");
            using JsonDocument body = await ReadBodyAsync(http, options.MaxBodyBytes).ConfigureAwait(false);
            JsonElement root = Object(body);
            string field = plan ? "states" : "context";
            RejectUnknown(root, field, "subject", "requestId");
            if (!plan && whittle)
                throw RequestException.Invalid("$", $"Study '{id}' is a whittle study: ask for its call list with POST /v1/studies/{id}/plan {{\"states\": [...]}}.");
            JsonElement input = root.TryGetProperty(field, out var c) ? c : default;
            string? subject = OptionalString(root, "subject", 200);
            string? requestId = OptionalString(root, "requestId", 200);
            object parsed = study.ReadContext(input);
            return Reply(await study.DecideAsync(new DecideCommand(parsed, subject, requestId), http.RequestAborted).ConfigureAwait(false));
        }
        catch (RequestException ex)
        {
            return Problem(ex);
        }
    }

    private static async Task<IResult> RewardAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options)
    {
        if (Authorize(id, http, registry, admin, adminOnly: false, out IStudyHost? study) is { } refused) return refused;
        try
        {
            using JsonDocument body = await ReadBodyAsync(http, options.MaxBodyBytes).ConfigureAwait(false);
            JsonElement root = Object(body);
            RejectUnknown(root, "decisionId", "reward", "realizedContext");
            string decisionId = root.TryGetProperty("decisionId", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
                : throw RequestException.Invalid("decisionId", "decisionId is required (a string, as the decision returned it).");
            if (!root.TryGetProperty("reward", out var r) || r.ValueKind != JsonValueKind.Number || !r.TryGetDouble(out double reward) || !double.IsFinite(reward))
                throw RequestException.Invalid("reward", "reward is required and must be a finite number.");
            JsonElement realized = root.TryGetProperty("realizedContext", out var x) ? x : default;
            return Reply(await study!.RewardAsync(new RewardCommand(decisionId, reward, realized), http.RequestAborted).ConfigureAwait(false));
        }
        catch (RequestException ex)
        {
            return Problem(ex);
        }
    }

    private static async Task<IResult> StatusAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin)
    {
        if (Authorize(id, http, registry, admin, adminOnly: false, out IStudyHost? study) is { } refused) return refused;
        return Reply(await study!.StatusAsync(http.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> LogAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, IStudyStore store)
    {
        if (Authorize(id, http, registry, admin, adminOnly: false, out _) is { } refused) return refused;
        try
        {
            long after = QueryNumber(http, "after", 0, 0, long.MaxValue);
            int limit = (int)QueryNumber(http, "limit", 1000, 1, 100_000);
            IReadOnlyList<LogRow> rows = await store.ReadLogAsync(id, after, limit, http.RequestAborted).ConfigureAwait(false);
            var text = new System.Text.StringBuilder();
            foreach (LogRow row in rows) text.Append(DecisionLine.WithReward(row.Line, row.Reward)).Append('\n');
            return TypedResults.Text(text.ToString(), "application/x-ndjson");
        }
        catch (RequestException ex)
        {
            return Problem(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Problem(new RequestException(503, "study", "The study's store could not be read (" + ex.GetType().Name + "); try again when it is back."));
        }
    }

    private static async Task<IResult> ExportAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin)
    {
        if (Authorize(id, http, registry, admin, adminOnly: false, out IStudyHost? study) is { } refused) return refused;
        Reply<PolicyState> reply = await study!.ExportAsync(http.RequestAborted).ConfigureAwait(false);
        return reply.Error is { } error ? Problem(error) : TypedResults.Text(PolicyStates.Serialize(reply.Value!), "application/json");
    }

    private static async Task<IResult> RestoreAsync(string id, HttpContext http, StudyRegistry registry, AdminKey admin, ServiceOptions options)
    {
        if (Authorize(id, http, registry, admin, adminOnly: true, out IStudyHost? study) is { } refused) return refused;
        try
        {
            using JsonDocument body = await ReadBodyAsync(http, options.MaxSnapshotBytes).ConfigureAwait(false);
            PolicyState state;
            try
            {
                state = PolicyStates.Deserialize(body.RootElement.GetRawText());
            }
            catch (PolicyStateException ex)
            {
                throw RequestException.Invalid("kind", ex.Message);
            }
            return Reply(await study!.RestoreAsync(state, http.RequestAborted).ConfigureAwait(false));
        }
        catch (RequestException ex)
        {
            return Problem(ex);
        }
    }

    private static IResult? Authorize(string id, HttpContext http, StudyRegistry registry, AdminKey admin, bool adminOnly, out IStudyHost? study)
    {
        study = null;
        string? key = Bearer(http);
        if (key is null) return Unauthorized("Send the study's key (or the admin key) as 'Authorization: Bearer KEY'.");
        bool isAdmin = admin.Verify(key);
        study = registry.Find(id);
        if (study is null) return Problem(new RequestException(404, "id", $"There is no study '{id}'."));
        if (isAdmin) return null;
        if (adminOnly) return Problem(new RequestException(403, "Authorization", "This endpoint needs the admin key."));
        return study.VerifyKey(key) ? null : Unauthorized($"The key is not valid for study '{id}'.");
    }

    private static string? Bearer(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        string key = header["Bearer ".Length..].Trim();
        return key.Length == 0 ? null : key;
    }

    private static async Task<JsonDocument> ReadBodyAsync(HttpContext http, int limit)
    {
        if (http.Request.ContentLength > limit) throw new RequestException(413, "$", $"The body has {http.Request.ContentLength} bytes; at most {limit} are accepted.");
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw new RequestException(413, "$", $"The body exceeds {limit} bytes.");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw RequestException.Invalid("$", "The body is empty; a JSON object is required.");
        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw RequestException.Invalid("$", $"Malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}.");
        }
    }

    private static JsonElement Object(JsonDocument body) =>
        body.RootElement.ValueKind == JsonValueKind.Object ? body.RootElement : throw RequestException.Invalid("$", "The body must be a JSON object.");

    private static void RejectUnknown(JsonElement root, params string[] allowed)
    {
        foreach (JsonProperty p in root.EnumerateObject())
            if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                throw RequestException.Invalid(p.Name, $"Unknown field '{p.Name}'. Allowed: {string.Join(", ", allowed)}.");
    }

    private static string? OptionalString(JsonElement root, string name, int maxLength)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw RequestException.Invalid(name, $"{name} must be a string.");
        string s = value.GetString()!;
        if (s.Length is 0 || s.Length > maxLength) throw RequestException.Invalid(name, $"{name} must have 1 to {maxLength} characters.");
        return s;
    }

    private static long QueryNumber(HttpContext http, string name, long fallback, long min, long max)
    {
        string? text = http.Request.Query[name];
        if (text is null) return fallback;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw RequestException.Invalid(name, $"{name} must be an integer in {min}..{max}.");
        return value;
    }

    private static IResult Reply<T>(Reply<T> reply)
    {
        if (reply.Error is { } error)
        {
            var extensions = reply.Extra is double first ? new Dictionary<string, object?> { ["firstReward"] = first } : null;
            return Problem(error, extensions);
        }
        return TypedResults.Ok(reply.Value);
    }

    private static IResult Unauthorized(string detail) => Problem(new RequestException(401, "Authorization", detail));

    /// <summary>A problem document (RFC 9457) naming the field: <c>field</c> and <c>errors: { field: [detail] }</c>.</summary>
    internal static IResult Problem(RequestException error, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>())
        {
            ["field"] = error.Field,
            ["errors"] = new Dictionary<string, string[]> { [error.Field] = [error.Message] },
        };
        return TypedResults.Problem(new ProblemDetails
        {
            Status = error.Status,
            Title = Title(error.Status),
            Detail = error.Message,
            Extensions = all,
        });
    }

    private static string Title(int status) => status switch
    {
        400 => "Invalid request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Body too large",
        503 => "Unavailable",
        _ => "Error",
    };
}
