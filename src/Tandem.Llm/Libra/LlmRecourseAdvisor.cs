using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Middleware;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;

namespace Tandem.Llm.Libra;

/// <summary>Options of the LIBRA advisor on a language model.</summary>
public sealed record LlmAdvisorOptions
{
    /// <summary>Sampling temperature. Range: [0, 2]. Default 0 (the most repeatable answers).</summary>
    public float Temperature { get; init; }

    /// <summary>Answer length limit in tokens. Range: 16-4096. Default 200.</summary>
    public int MaxOutputTokens { get; init; } = 200;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        ModelCall.CheckTemperature(Temperature);
        ModelCall.CheckMaxOutputTokens(MaxOutputTokens, 16, 4096);
    }
}

/// <summary>
/// The LIBRA advisor port (seed 000 Algorithm 3) on any <see cref="IChatClient"/>: the Figure 2 prompt
/// (<see cref="RecoursePrompt"/>) with its answer grammar (<see cref="RecourseGrammar"/>, followed where the provider
/// constrains decoding), the answer read by <see cref="AdviceParser"/>. Every failure — timeout,
/// HTTP error, unreadable or infeasible answer — is an abstention with a reason, counted in the ledger;
/// it never throws into the decision path. A stop (<see cref="LlmStopException"/>, a <see cref="StudyStopException"/>:
/// a replay-cassette miss, a used-up call budget, a record that cannot be written) is let through: a recorded study
/// must not silently change.
/// </summary>
public sealed class LlmRecourseAdvisor : IRecourseAdvisor
{
    private readonly IChatClient _client;
    private readonly LlmLedger _ledger;
    private readonly ChatOptions _chatOptions;
    private Constrained? _constrained;

    /// <summary>Create an advisor named <paramref name="name"/> (its spec, e.g. "openai:gpt-4o-mini").</summary>
    public LlmRecourseAdvisor(IChatClient client, LlmLedger ledger, string name, LlmAdvisorOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        var o = options ?? new LlmAdvisorOptions();
        o.Validate();
        _chatOptions = ModelCall.Options(o.Temperature, o.MaxOutputTokens, seed: null, "libra advisor");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    /// <exception cref="StudyStopException">The model layer stopped the study (<see cref="LlmStopException"/>).</exception>
    public async ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ModelAnswer answer = await ModelCall.AskAsync(_client, RecoursePrompt.Build(request.Problem, request.Context), OptionsFor(request.Problem), cancellationToken).ConfigureAwait(false);
        PortAnswer<Advice> advice = answer.Failure is { } failure ? Advice.Abstain(failure) : AdviceParser.Parse(answer.Text, request.Problem, request.Context);
        if (!advice.IsGiven) _ledger.RecordFallback(advice.Reason);
        return advice;
    }

    // The request carries the answer line's grammar (RecourseGrammar); the pipeline keeps it only for a provider that
    // constrains decoding. One problem per study, so the last one is kept.
    private ChatOptions OptionsFor(RecourseProblem problem)
    {
        if (Volatile.Read(ref _constrained) is { } last && ReferenceEquals(last.Problem, problem)) return last.Options;
        ChatOptions options = AnswerGrammar.With(_chatOptions, RecourseGrammar.For(problem));
        Volatile.Write(ref _constrained, new Constrained(problem, options));
        return options;
    }

    private sealed record Constrained(RecourseProblem Problem, ChatOptions Options);
}
