using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Counts calls, tokens, latency and failures of the client it wraps into an <see cref="LlmLedger"/>.</summary>
public sealed class AccountingChatClient(IChatClient inner, LlmLedger ledger, TimeProvider? timeProvider = null) : DelegatingChatClient(inner)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = _time.GetTimestamp();
        try
        {
            ChatResponse response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            ledger.RecordCall(_time.GetElapsedTime(start), response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, failed: false);
            return response;
        }
        catch
        {
            ledger.RecordCall(_time.GetElapsedTime(start), 0, 0, failed: true);
            throw;
        }
    }
}
