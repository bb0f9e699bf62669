using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Middleware;
using Tandem.Rmab.Dlm;

namespace Tandem.Llm.Dlm;

/// <summary>Options of the DLM designer and reflector on a language model.</summary>
public sealed record LlmDesignerOptions
{
    /// <summary>Sampling temperature of proposals. Range: [0, 2]. Default 1 (candidates of a stage should differ).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Sampling temperature of the selection. Range: [0, 2]. Default 0.</summary>
    public float SelectionTemperature { get; init; }

    /// <summary>Answer length limit in tokens. Range: 32-8192. Default 400.</summary>
    public int MaxOutputTokens { get; init; } = 400;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        ModelCall.CheckTemperature(Temperature);
        ModelCall.CheckTemperature(SelectionTemperature, nameof(SelectionTemperature));
        ModelCall.CheckMaxOutputTokens(MaxOutputTokens, 32, 8192);
    }
}

/// <summary>
/// The DLM designer and reflector (seed 001 Algorithm 1, lines 1 and 15) on any <see cref="IChatClient"/>.
/// Proposals use <see cref="RewardPrompt.Proposal"/>; the request's seed is sent as the provider's sampling
/// seed, so every (task, seed, stage, candidate, attempt) is a distinct, repeatable request (and a distinct
/// cassette entry). Every failure — timeout, HTTP error, unreadable answer — is an abstention with a reason,
/// counted in the ledger; the loop retries a candidate with the reason, or keeps candidate 0 of a stage. A
/// replay-cassette miss throws <see cref="CassetteMissException"/>: a recorded study must not silently change.
/// </summary>
public sealed class LlmRewardDesigner : IRewardDesigner
{
    private readonly IChatClient _client;
    private readonly LlmLedger _ledger;
    private readonly LlmDesignerOptions _options;

    /// <summary>Create a designer named <paramref name="name"/> (its spec, e.g. "openai:gpt-4o-mini").</summary>
    public LlmRewardDesigner(IChatClient client, LlmLedger ledger, string name, LlmDesignerOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        Name = name ?? throw new ArgumentNullException(nameof(name));
        _options = options ?? new LlmDesignerOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ChatOptions chat = ModelCall.Options(_options.Temperature, _options.MaxOutputTokens, (long)(request.Seed >> 1),
            $"dlm designer: task {request.Task.Index}, stage {request.Stage}, candidate {request.Candidate}");
        chat = AnswerGrammar.With(chat, RewardGrammar.Proposal);
        ModelAnswer answer = await ModelCall.AskAsync(_client, RewardPrompt.Proposal(request), chat, cancellationToken).ConfigureAwait(false);
        PortAnswer<RewardProposal> proposal = answer.Failure is { } failure ? RewardProposal.Abstain(failure) : RewardAnswerParser.ParseProposal(answer.Text);
        if (!proposal.IsGiven) _ledger.RecordFallback(proposal.Reason);
        return proposal;
    }

    /// <inheritdoc />
    public async ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ChatOptions chat = ModelCall.Options(_options.SelectionTemperature, _options.MaxOutputTokens, (long)(request.Seed >> 1),
            $"dlm reflector: task {request.Task.Index}, stage {request.Stage}");
        if (request.Candidates.Count > 0) chat = AnswerGrammar.With(chat, RewardGrammar.Selection(request.Candidates.Count));
        ModelAnswer answer = await ModelCall.AskAsync(_client, RewardPrompt.Selection(request), chat, cancellationToken).ConfigureAwait(false);
        PortAnswer<int> verdict = answer.Failure is { } failure ? PortAnswer<int>.Abstain(failure) : RewardAnswerParser.ParseSelection(answer.Text, request.Candidates.Count);
        if (!verdict.IsGiven) _ledger.RecordFallback(verdict.Reason);
        return verdict;
    }
}
