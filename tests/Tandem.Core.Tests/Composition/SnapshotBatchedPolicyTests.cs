using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Composition;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Core.State;

namespace Tandem.Core.Tests.Composition;

public class SnapshotBatchedPolicyTests
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Softmax over empirical means (p_a ∝ exp(mean_a / τ)), drawing with its own seeded generator: a randomized
    /// learner whose probabilities depend only on its model, with saveable state.</summary>
    private sealed class SoftmaxMeans(int armCount, ulong seed, TimeProvider time) : IPolicy<int, ArmChoice, ArmOutcome>, IStateful
    {
        private readonly DecisionIssuer _issuer = new(time);
        private readonly Random _random = Seeds.CreateRandom(seed);
        private double[] _sums = new double[armCount];
        private int[] _counts = new int[armCount];

        public string Name => "softmax";

        public double[] Sums => _sums;

        public int[] Counts => _counts;

        public static ImmutableArray<double> ProbabilitiesOf(double[] sums, int[] counts)
        {
            double[] p = new double[sums.Length];
            double total = 0;
            for (int a = 0; a < p.Length; a++) total += p[a] = Math.Exp(counts[a] == 0 ? 0 : sums[a] / counts[a] / 0.5);
            for (int a = 0; a < p.Length; a++) p[a] /= total;
            return [.. p];
        }

        public ValueTask<ArmChoice> DecideAsync(int context, CancellationToken cancellationToken = default)
        {
            ImmutableArray<double> p = ProbabilitiesOf(_sums, _counts);
            double u = _random.NextDouble(), cumulative = 0;
            int arm = p.Length - 1;
            for (int a = 0; a < p.Length; a++)
            {
                cumulative += p[a];
                if (u < cumulative)
                {
                    arm = a;
                    break;
                }
            }
            DecisionStamp stamp = _issuer.Issue();
            return new(new ArmChoice { Id = stamp.Id, Time = stamp.Time, Arm = arm, Probabilities = p, SeenContext = context });
        }

        public ValueTask LearnAsync(int context, ArmChoice decision, ArmOutcome outcome, CancellationToken cancellationToken = default)
        {
            _issuer.EnsurePending(decision.Id);
            if (double.IsNaN(outcome.Reward)) throw new ArgumentException($"Decision {decision.Id}: the reward is NaN.", nameof(outcome));
            _sums[decision.Arm] += outcome.Reward;
            _counts[decision.Arm]++;
            _issuer.Settle(decision.Id);
            return ValueTask.CompletedTask;
        }

        public PolicyState ExportState() => PolicyStates.Pack("softmax", 1, new State([.. _sums], [.. _counts], PolicyStates.ExportRandom(_random), _issuer.Export()));

        public void ImportState(PolicyState state)
        {
            var data = PolicyStates.Unpack<State>(state, "softmax", 1);
            PolicyStates.ValidateRandom(data.Random);
            DecisionIssuer.Validate(data.Issuer);
            _sums = [.. data.Sums];
            _counts = [.. data.Counts];
            PolicyStates.ImportRandom(_random, data.Random);
            _issuer.Import(data.Issuer);
        }

        private sealed record State(double[] Sums, int[] Counts, ulong[] Random, DecisionIssuerState Issuer);
    }

    private static SoftmaxMeans Softmax(ulong seed = 7) => new(3, seed, new FixedTime(Epoch));

    private static GaussianBandit Bandit(ulong seed = 11) => new([0.2, 0.5, 0.4], Seeds.CreateRandom(seed));

    // Catches: a decider that keeps its own random stream across publications (it would replay the same draws), an owner
    // that learns without the decider's issued ids (UnknownDecisionException), or a snapshot round trip that is not exact.
    [Fact]
    public async Task BatchSizeOne_IsTheOnlineLearner_BitForBit()
    {
        var online = Softmax();
        var owner = Softmax();
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(owner, Softmax(seed: 999), batchSize: 1);
        GaussianBandit envOnline = Bandit(), envBatched = Bandit();
        for (int t = 0; t < 300; t++)
        {
            int x1 = envOnline.NextContext(), x2 = envBatched.NextContext();
            ArmChoice d1 = await online.DecideAsync(x1);
            ArmChoice d2 = await batched.DecideAsync(x2);
            Assert.Equal(d1, d2);
            await online.LearnAsync(x1, d1, envOnline.Respond(x1, d1));
            await batched.LearnAsync(x2, d2, envBatched.Respond(x2, d2));
            Assert.Equal(t + 1, batched.SnapshotVersion);
        }
        Assert.Equal(PolicyStates.Serialize(online.ExportState()), PolicyStates.Serialize(owner.ExportState()));
        Assert.Equal(PolicyStates.Serialize(online.ExportState()), PolicyStates.Serialize(batched.Snapshot));
    }

    // Catches: learning straight into the decider (decisions would use observations not yet published), or logging the
    // owner's probabilities instead of the deciding snapshot's. The reference is computed independently from the rewards.
    [Fact]
    public async Task Propensities_AreThoseOfTheSnapshotThatDecided()
    {
        const int batch = 7;
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(Softmax(), Softmax(), batch);
        GaussianBandit env = Bandit();
        double[] sums = new double[3], publishedSums = new double[3];
        int[] counts = new int[3], publishedCounts = new int[3];
        var snapshots = new List<PolicyState> { batched.Snapshot };
        int stale = 0;
        for (int t = 0; t < 100; t++)
        {
            int x = env.NextContext();
            long version = batched.SnapshotVersion;
            ArmChoice d = await batched.DecideAsync(x);

            Assert.Equal(t / batch, version);
            Assert.Equal(SoftmaxMeans.ProbabilitiesOf(publishedSums, publishedCounts).ToArray(), d.Probabilities.ToArray());
            var restored = Softmax(seed: 3);
            restored.ImportState(snapshots[(int)version]);
            Assert.Equal((await restored.DecideAsync(x)).Probabilities.ToArray(), d.Probabilities.ToArray());
            if (!SoftmaxMeans.ProbabilitiesOf(sums, counts).SequenceEqual(d.Probabilities)) stale++;

            ArmOutcome outcome = env.Respond(x, d);
            sums[d.Arm] += outcome.Reward;
            counts[d.Arm]++;
            await batched.LearnAsync(x, d, outcome);
            Assert.Equal((t + 1) % batch, batched.QueuedCount);
            if ((t + 1) % batch == 0)
            {
                publishedSums = [.. sums];
                publishedCounts = [.. counts];
                snapshots.Add(batched.Snapshot);
            }
        }
        Assert.Equal(100 / batch, batched.SnapshotVersion);
        Assert.True(stale > 50, $"Only {stale} of 100 decisions were made from a model older than the latest observation; the test would not see a live learner.");
    }

    [Fact]
    public async Task Flush_LearnsWhatIsQueuedAndPublishes()
    {
        var owner = new GreedyMeans(2);
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(owner, new GreedyMeans(2), batchSize: 100);
        ArmChoice d = await batched.DecideAsync(0);
        await batched.LearnAsync(0, d, new ArmOutcome(-1, -1));
        Assert.Equal(0, batched.SnapshotVersion);
        Assert.Equal(0, (await batched.DecideAsync(1)).Arm); // arm 0 untried in the snapshot: still first

        await batched.FlushAsync();

        Assert.Equal(1, batched.SnapshotVersion);
        Assert.Equal(0, batched.QueuedCount);
        Assert.Equal(1, (await batched.DecideAsync(2)).Arm); // arm 0's mean −1 is now published
        await batched.FlushAsync(); // nothing queued: no new version
        Assert.Equal(1, batched.SnapshotVersion);
    }

    // Catches: queueing a reward the owner would refuse only at the flush, batchSize − 1 rewards later.
    [Fact]
    public async Task Learn_RefusesUnknownAndRepeatedDecisionsAtOnce()
    {
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new GreedyMeans(2), new GreedyMeans(2), batchSize: 10);
        ArmChoice d = await batched.DecideAsync(0);
        await batched.LearnAsync(0, d, new ArmOutcome(1, 1));

        var again = await Assert.ThrowsAsync<UnknownDecisionException>(async () => await batched.LearnAsync(0, d, new ArmOutcome(1, 1)));
        Assert.Contains($"Decision {d.Id}", again.Message);
        var unknown = await Assert.ThrowsAsync<UnknownDecisionException>(async () => await batched.LearnAsync(0, d with { Id = new DecisionId(42) }, new ArmOutcome(1, 1)));
        Assert.Contains("Decision 42", unknown.Message);
        Assert.Equal(1, batched.QueuedCount);
    }

    [Fact]
    public void Constructor_RefusesBadInputNamingIt()
    {
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new GreedyMeans(2), new GreedyMeans(2), 0));
        Assert.Equal("batchSize", size.ParamName);
        Assert.Contains("batch size", size.Message);
        var same = new GreedyMeans(2);
        Assert.Contains("second instance", Assert.Throws<ArgumentException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(same, same, 1)).Message);
        var stateless = Assert.Throws<ArgumentException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new UniformArms(2, 1), new GreedyMeans(2), 1));
        Assert.Contains("'uniform'", stateless.Message);
        Assert.Equal("owner", stateless.ParamName);
        var statelessDecider = Assert.Throws<ArgumentException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new GreedyMeans(2), new UniformArms(2, 1), 1));
        Assert.Contains("'uniform'", statelessDecider.Message);
        Assert.Contains("cannot restore", statelessDecider.Message);
        Assert.Equal("decider", statelessDecider.ParamName);
        // Catches: a missing null check (a NullReferenceException from owner.Name instead of the parameter's name).
        Assert.Equal("owner", Assert.Throws<ArgumentNullException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(null!, new GreedyMeans(2), 1)).ParamName);
        Assert.Equal("decider", Assert.Throws<ArgumentNullException>(() => new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new GreedyMeans(2), null!, 1)).ParamName);
    }

    // Catches: an off-by-one at either end of the range (the largest batch refused, or one past it accepted).
    [Fact]
    public void CheckBatchSize_AcceptsExactlyOneToTheMaximum()
    {
        SnapshotBatching.CheckBatchSize(1);
        SnapshotBatching.CheckBatchSize(SnapshotBatching.MaxBatchSize);
        var over = Assert.Throws<ArgumentOutOfRangeException>(() => SnapshotBatching.CheckBatchSize(SnapshotBatching.MaxBatchSize + 1, "BatchSizes"));
        Assert.Equal("BatchSizes", over.ParamName);
        Assert.Contains("1..1,000,000", over.Message);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => SnapshotBatching.CheckBatchSize(0)).ParamName);
    }

    // Catches: a null decision failing with a NullReferenceException (no parameter named) instead of being refused.
    [Fact]
    public async Task Learn_RefusesANullDecisionNamingIt()
    {
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(new GreedyMeans(2), new GreedyMeans(2), batchSize: 2);
        var error = await Assert.ThrowsAsync<ArgumentNullException>(async () => await batched.LearnAsync(0, null!, new ArmOutcome(1, 1)));
        Assert.Equal("decision", error.ParamName);
    }

    // Catches (remarks, "refused during a flush"): an owner left half-way through the batch, the refused observation kept
    // in the queue (every later flush would fail on it again), a good observation dropped with it, or the refusal
    // swallowed. The reference is an online learner fed only the accepted observations.
    [Fact]
    public async Task Flush_WhenTheOwnerRefusesAnObservation_RestoresTheOwnerAndDropsOnlyThatOne()
    {
        var owner = Softmax();
        var batched = new SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>(owner, Softmax(seed: 5), batchSize: 3);
        ArmChoice d1 = await batched.DecideAsync(0), d2 = await batched.DecideAsync(1), d3 = await batched.DecideAsync(2);
        await batched.LearnAsync(0, d1, new ArmOutcome(0.25, 0));
        await batched.LearnAsync(1, d2, new ArmOutcome(double.NaN, 0));

        var refused = await Assert.ThrowsAsync<ArgumentException>(async () => await batched.LearnAsync(2, d3, new ArmOutcome(0.75, 0)));
        Assert.Contains($"Decision {d2.Id}", refused.Message);
        Assert.Equal(2, batched.QueuedCount);
        Assert.Equal(0, batched.SnapshotVersion);
        // The owner is as the flush found it: the decider's state (the published model and the three issued ids).
        var decider = Softmax(seed: 99);
        decider.ImportState(batched.Snapshot);
        await decider.DecideAsync(0);
        await decider.DecideAsync(1);
        await decider.DecideAsync(2);
        Assert.Equal(PolicyStates.Serialize(decider.ExportState()), PolicyStates.Serialize(owner.ExportState()));

        await batched.FlushAsync();

        Assert.Equal(0, batched.QueuedCount);
        Assert.Equal(1, batched.SnapshotVersion);
        var online = Softmax();
        ArmChoice e1 = await online.DecideAsync(0), e2 = await online.DecideAsync(1), e3 = await online.DecideAsync(2);
        Assert.Equal([d1, d2, d3], [e1, e2, e3]);
        await online.LearnAsync(0, e1, new ArmOutcome(0.25, 0));
        await online.LearnAsync(2, e3, new ArmOutcome(0.75, 0));
        // d2 stays issued and unlearned in the learner (the wrapper forgot it): compare the model, not the issuer.
        Assert.Equal(
            SoftmaxMeans.ProbabilitiesOf(online.Sums, online.Counts).ToArray(),
            (await batched.DecideAsync(3)).Probabilities.ToArray());
        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await batched.LearnAsync(1, d2, new ArmOutcome(0, 0)));
    }

    // Catches: Wrap building the owner and the decider as one instance (refused by the constructor), losing the batch
    // size, or ignoring the name it is given.
    [Fact]
    public async Task Wrap_BuildsTwoInstancesPerRunAndNamesTheSeries()
    {
        int created = 0;
        var factory = new PolicyFactory<int, ArmChoice, ArmOutcome>("greedy", (_, _) => { created++; return new GreedyMeans(2); });
        var wrapped = SnapshotBatching.Wrap(factory, 4);
        Assert.Equal("greedy", wrapped.Name);
        Assert.Equal("greedy B=4", SnapshotBatching.Wrap(factory, 4, "greedy B=4").Name);
        var policy = Assert.IsType<SnapshotBatchedPolicy<int, ArmChoice, ArmOutcome>>(wrapped.Create(new RunContext(0, 1), new GaussianBandit([0, 1], Seeds.CreateRandom(1))));
        Assert.Equal(2, created);
        Assert.Equal(4, policy.BatchSize);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => SnapshotBatching.Wrap(factory, 0)).ParamName);
        Assert.Equal("factory", Assert.Throws<ArgumentNullException>(() => SnapshotBatching.Wrap<int, ArmChoice, ArmOutcome>(null!, 1)).ParamName);
        for (int t = 0; t < 4; t++) await policy.LearnAsync(t, await policy.DecideAsync(t), new ArmOutcome(1, 1));
        Assert.Equal(1, policy.SnapshotVersion);
    }
}
