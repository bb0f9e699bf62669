using System.Net;
using Orleans.Runtime.MembershipService;
using Tandem.Service.Orleans.Storage;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Orleans' <see cref="IMembershipTable"/> contract, checked on <see cref="PostgresMembershipTable"/> against a real
/// server (<see cref="PostgresFactAttribute"/>): each test has its own database and its own cluster id.</summary>
public sealed class PostgresMembershipTableTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);

    [PostgresFact]
    public async Task Insert_ThenReadRowAndReadAll_GiveTheEntryBack_WithTheNewVersionAndAFreshEtag()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c1");
        MembershipTableData empty = await table.ReadAllAsync(CancellationToken.None);
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        MembershipEntry a = Entry(1, SiloStatus.Joining);
        a.SuspectTimes = [Tuple.Create(Entry(2, SiloStatus.Active).SiloAddress, T0.AddTicks(3))]; // ticks survive (JSON, round-trip format)
        Assert.True(await table.InsertRowAsync(a, empty.Version.Next(), CancellationToken.None));

        MembershipTableData row = await table.ReadRowAsync(a.SiloAddress, CancellationToken.None);
        Assert.Equal(1, row.Version.Version);
        Assert.NotEqual(empty.Version.VersionEtag, row.Version.VersionEtag);
        (MembershipEntry read, string etag) = Assert.Single(row.Members);
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(Describe(a), Describe(read));
        Assert.Equal(a.SuspectTimes[0].Item2, read.SuspectTimes![0].Item2);

        Assert.Empty((await table.ReadRowAsync(Entry(9, SiloStatus.Active).SiloAddress, CancellationToken.None)).Members);
        MembershipTableData all = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(row.Version, all.Version);
        Assert.Equal(Describe(a), Describe(Assert.Single(all.Members).Item1));
    }

    [PostgresFact]
    public async Task Insert_WithAStaleTableEtag_OrForASiloAlreadyPresent_FailsAndChangesNothing()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c2");
        TableVersion v0 = (await table.ReadAllAsync(CancellationToken.None)).Version;
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Active), v0.Next(), CancellationToken.None));
        MembershipTableData after = await table.ReadAllAsync(CancellationToken.None);

        // A second writer that read before the first insert: its etag is stale, so neither its row nor its version lands.
        Assert.False(await table.InsertRowAsync(Entry(2, SiloStatus.Active), v0.Next(), CancellationToken.None));
        // A fresh version but a silo that already has a row: the version update is rolled back with the insert.
        Assert.False(await table.InsertRowAsync(Entry(1, SiloStatus.Joining), after.Version.Next(), CancellationToken.None));

        MembershipTableData now = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(after.Version, now.Version);
        Assert.Equal([Describe(Entry(1, SiloStatus.Active))], now.Members.Select(m => Describe(m.Item1)));
    }

    [PostgresFact]
    public async Task ConcurrentInserts_FromTheSameRead_ExactlyOneWins()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c3");
        TableVersion v0 = (await table.ReadAllAsync(CancellationToken.None)).Version;
        bool[] won = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => table.InsertRowAsync(Entry(i, SiloStatus.Joining), v0.Next(), CancellationToken.None))));
        Assert.Equal(1, won.Count(w => w));
        MembershipTableData now = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(1, now.Version.Version);
        Assert.Equal(Array.IndexOf(won, true) + 1, Assert.Single(now.Members).Item1.SiloAddress.Endpoint.Port - 40000);
    }

    [PostgresFact]
    public async Task Update_WithAStaleRowEtag_AStaleTableEtag_OrNoRow_FailsAndChangesNothing()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c4");
        MembershipEntry a = Entry(1, SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(a, (await table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        MembershipTableData read1 = await table.ReadRowAsync(a.SiloAddress, CancellationToken.None);
        string etag1 = read1.Members[0].Item2;

        MembershipEntry active = Entry(1, SiloStatus.Active);
        Assert.True(await table.UpdateRowAsync(active, etag1, read1.Version.Next(), CancellationToken.None));
        MembershipTableData read2 = await table.ReadRowAsync(a.SiloAddress, CancellationToken.None);
        Assert.NotEqual(etag1, read2.Members[0].Item2); // the row's etag changes with the row
        Assert.Equal(2, read2.Version.Version);

        MembershipEntry dead = Entry(1, SiloStatus.Dead);
        Assert.False(await table.UpdateRowAsync(dead, etag1, read2.Version.Next(), CancellationToken.None)); // stale row etag
        Assert.False(await table.UpdateRowAsync(dead, read2.Members[0].Item2, read1.Version.Next(), CancellationToken.None)); // stale table etag
        Assert.False(await table.UpdateRowAsync(Entry(7, SiloStatus.Dead), read2.Members[0].Item2, read2.Version.Next(), CancellationToken.None)); // no row

        MembershipTableData now = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(read2.Version, now.Version);
        Assert.Equal(Describe(active), Describe(Assert.Single(now.Members).Item1));
    }

    [PostgresFact]
    public async Task IAmAlive_WritesOnlyTheHeartbeat_AndLeavesWhatOthersReadValid()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c5");
        MembershipEntry a = Entry(1, SiloStatus.Active);
        Assert.True(await table.InsertRowAsync(a, (await table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        MembershipTableData before = await table.ReadRowAsync(a.SiloAddress, CancellationToken.None);

        a.IAmAliveTime = T0.AddMinutes(5);
        a.Status = SiloStatus.ShuttingDown; // not written by a heartbeat
        await table.UpdateIAmAliveAsync(a, CancellationToken.None);
        MembershipTableData after = await table.ReadRowAsync(a.SiloAddress, CancellationToken.None);
        Assert.Equal(T0.AddMinutes(5), after.Members[0].Item1.IAmAliveTime);
        Assert.Equal(SiloStatus.Active, after.Members[0].Item1.Status);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Members[0].Item2, after.Members[0].Item2);
        // What was read before the heartbeat still updates.
        Assert.True(await table.UpdateRowAsync(Entry(1, SiloStatus.Dead), before.Members[0].Item2, before.Version.Next(), CancellationToken.None));

        await Assert.ThrowsAsync<OrleansMissingMembershipEntryException>(() => table.UpdateIAmAliveAsync(Entry(8, SiloStatus.Active), CancellationToken.None));
    }

    [PostgresFact]
    public async Task CleanupDefunct_RemovesOnlyDeadRowsLastUpdatedBeforeTheDate_AndDeleteRemovesOneClusterOnly()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using var table = await OpenAsync(database, "c6");
        using var other = await OpenAsync(database, "c6-other");
        MembershipEntry deadOld = Entry(1, SiloStatus.Dead);
        MembershipEntry deadRecent = Entry(2, SiloStatus.Dead);
        deadRecent.IAmAliveTime = T0.AddHours(2);
        MembershipEntry deadOldButSuspectedRecently = Entry(3, SiloStatus.Dead);
        deadOldButSuspectedRecently.SuspectTimes = [Tuple.Create(deadRecent.SiloAddress, T0.AddHours(2))];
        MembershipEntry activeOld = Entry(4, SiloStatus.Active);
        foreach (MembershipEntry e in new[] { deadOld, deadRecent, deadOldButSuspectedRecently, activeOld })
            Assert.True(await table.InsertRowAsync(e, (await table.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        Assert.True(await other.InsertRowAsync(Entry(1, SiloStatus.Dead), (await other.ReadAllAsync(CancellationToken.None)).Version.Next(), CancellationToken.None));
        TableVersion version = (await table.ReadAllAsync(CancellationToken.None)).Version;

        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(T0.AddHours(1)), CancellationToken.None);
        MembershipTableData now = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(version, now.Version); // pruning dead rows is not a membership change
        Assert.Equal([2, 3, 4], now.Members.Select(m => m.Item1.SiloAddress.Endpoint.Port - 40000).Order());
        Assert.Single((await other.ReadAllAsync(CancellationToken.None)).Members); // another cluster's rows are its own

        await table.DeleteMembershipTableEntriesAsync("c6", CancellationToken.None);
        MembershipTableData gone = await table.ReadAllAsync(CancellationToken.None);
        Assert.Empty(gone.Members);
        Assert.False(await table.InsertRowAsync(Entry(5, SiloStatus.Active), gone.Version.Next(), CancellationToken.None)); // no version row: nothing matches
        Assert.Single((await other.ReadAllAsync(CancellationToken.None)).Members);
    }

    private static async Task<PostgresMembershipTable> OpenAsync(PostgresTestDatabase database, string cluster)
    {
        var table = new PostgresMembershipTable(database.ConnectionString, cluster);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true, CancellationToken.None);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true, CancellationToken.None); // idempotent
        return table;
    }

    /// <summary>Silo <paramref name="n"/> (127.0.0.1:40000+n, generation 7) with every field set.</summary>
    private static MembershipEntry Entry(int n, SiloStatus status) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 40000 + n), 7),
        Status = status,
        ProxyPort = 30000 + n,
        HostName = "host" + n,
        SiloName = "silo" + n,
        RoleName = "role",
        UpdateZone = n,
        FaultZone = 2 * n,
        SuspectTimes = [],
        StartTime = T0,
        IAmAliveTime = T0.AddSeconds(n),
    };

    private static string Describe(MembershipEntry e) =>
        $"{e.SiloAddress.ToParsableString()} {e.Status} {e.ProxyPort} {e.HostName} {e.SiloName} {e.RoleName} {e.UpdateZone} {e.FaultZone} " +
        $"{string.Join(",", (e.SuspectTimes ?? []).Select(s => s.Item1.ToParsableString() + "@" + s.Item2.ToString("O")))} {e.StartTime:O} {e.IAmAliveTime:O}";
}
