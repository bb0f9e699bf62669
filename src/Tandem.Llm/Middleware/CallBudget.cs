using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>A model call that must stop the study rather than become a fallback: a replay cassette without the
/// answer (<see cref="CassetteMissException"/>) or with an entry that is not its prompt's (<see cref="CassetteMismatchException"/>),
/// a used-up call budget (<see cref="LlmBudgetExhaustedException"/>), or a cassette or audit line that cannot be written
/// (<see cref="LlmRecordWriteException"/>).
/// Ports let it through; the CLI turns it into a one-line error and exit code 2.</summary>
public abstract class LlmStopException : Tandem.Core.Ports.StudyStopException
{
    /// <summary>A stop with a one-line message.</summary>
    protected LlmStopException(string message) : base(message)
    {
    }

    /// <summary>A stop with a one-line message and the failure behind it.</summary>
    protected LlmStopException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>The study has made as many model calls as it was allowed (<c>--llm-max-calls</c>).</summary>
public sealed class LlmBudgetExhaustedException(string message) : LlmStopException(message);

/// <summary>
/// Caps the calls that reach the provider (attempts, as the ledger counts them; cassette answers are free): the call
/// after the last allowed one throws <see cref="LlmBudgetExhaustedException"/>, so a study cannot run up a bill
/// beyond what its owner set. What was answered before is in the cassette when recording, and a rerun with the
/// same <c>--record</c> file answers those requests from it for free. Thread-safe.
/// </summary>
public sealed class CallBudgetChatClient(IChatClient inner, long maxCalls) : DelegatingChatClient(inner)
{
    private long _calls;

    /// <summary>Calls let through so far.</summary>
    public long Calls => Math.Min(Interlocked.Read(ref _calls), maxCalls);

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _calls) > maxCalls)
            throw new LlmBudgetExhaustedException($"the budget of {maxCalls} model calls is used up");
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}
