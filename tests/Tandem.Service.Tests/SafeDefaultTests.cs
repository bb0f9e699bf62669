using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

public sealed class SafeDefaultTests
{
    [Fact]
    public async Task ALearnerThatThrows_GetsTheSafeDefault_ItsRewardIsKeptNotLearned_AndAReplayReproducesIt()
    {
        string data = TestService.NewFolder();
        try
        {
            using var store = new SqliteStudyStore(data);
            var spec = StudySpec.Parse(JsonDocument.Parse("""{"id":"sd","kind":"linucb","arms":["a","b"],"features":["x"],"options":{"seed":9}}""").RootElement, () => 0);
            var (_, salt, hash) = ApiKeys.Create();
            var stored = new StoredStudy("sd", "linucb", spec.ToJson(), salt, hash, 9, DateTimeOffset.UnixEpoch);
            await store.CreateStudyAsync(stored);
            string live;
            await using (var host = await StudyHost.OpenAsync(stored, store, TimeProvider.System, new WriterOptions { SnapshotEvery = 2 }, NullLogger.Instance, (s, _) => new FailsOn666(s)))
            {
                var normal = await host.DecideAsync(new DecideCommand(new[] { 1.0 }, null, null));
                var fallback = await host.DecideAsync(new DecideCommand(new[] { 666.0 }, null, null));
                Assert.Null(fallback.Error); // a decision always comes back
                Assert.Contains("safe-default", fallback.Value!.Notes);
                Assert.Contains("safe-default-reason:InvalidOperationException", fallback.Value.Notes);
                Assert.Equal([0.5, 0.5], fallback.Value.Probabilities);

                var unlearned = await host.RewardAsync(new RewardCommand(fallback.Value.DecisionId, 3, default));
                Assert.Null(unlearned.Error);
                Assert.False(unlearned.Value!.Learned);
                Assert.Equal(["not-learned:safe-default"], unlearned.Value.Notes);
                var learned = await host.RewardAsync(new RewardCommand(normal.Value!.DecisionId, 1, default));
                Assert.True(learned.Value!.Learned);
                Assert.Equal(1, learned.Value.ModelVersion);
                await host.DecideAsync(new DecideCommand(new[] { 2.0 }, null, null));
                live = PolicyStates.Serialize((await host.ExportAsync()).Value!);
            }
            await using (var again = await StudyHost.OpenAsync(stored, store, TimeProvider.System, new WriterOptions { SnapshotEvery = 2 }, NullLogger.Instance, (s, _) => new FailsOn666(s)))
            {
                Assert.Equal(live, PolicyStates.Serialize((await again.ExportAsync()).Value!));
                var status = (await again.StatusAsync()).Value!;
                Assert.Equal((3L, 2L, 1L, 1L), (status.Decisions, status.Rewards, status.Pending, status.ModelVersion));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, true);
        }
    }

    /// <summary>LinUCB that throws on a context whose first value is 666 (deterministically, so a replay fails the same way).</summary>
    private sealed class FailsOn666(StudySpec spec) : StudyLearner(spec)
    {
        private readonly StudyLearner _inner = Create(spec);
        private long _sequence;
        private string? _aux;

        public override string PolicyName => _inner.PolicyName;

        public override object ReadContext(JsonElement context) => _inner.ReadContext(context);

        public override void WriteContext(Utf8JsonWriter writer, object context) => _inner.WriteContext(writer, context);

        public override object ReadLoggedContext(JsonElement logged) => _inner.ReadLoggedContext(logged);

        protected override void PrepareDecision(long sequence, string? recordedAux) => (_sequence, _aux) = (sequence, recordedAux);

        protected override ValueTask<Decision> DecideCoreAsync(object context, CancellationToken cancellationToken) =>
            ((double[])context)[0] == 666 ? throw new InvalidOperationException("simulated learner failure") : _inner.DecideAsync(context, _sequence, Clock.Now, _aux, cancellationToken);

        public override ImmutableArray<double> ReadRealized(JsonElement realized, Decision decision) => _inner.ReadRealized(realized, decision);

        public override ValueTask LearnAsync(object context, Decision decision, double reward, ImmutableArray<double> realized, CancellationToken cancellationToken) =>
            _inner.LearnAsync(context, decision, reward, realized, cancellationToken);

        public override Decision ReadLoggedDecision(JsonElement line) => _inner.ReadLoggedDecision(line);

        public override PolicyState Export() => _inner.Export();

        public override void Import(PolicyState state) => _inner.Import(state);
    }
}
