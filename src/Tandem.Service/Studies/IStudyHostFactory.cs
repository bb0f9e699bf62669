using Tandem.Service.Storage;

namespace Tandem.Service.Studies;

/// <summary>
/// Where a study's single writer lives. The default (none registered) is a <see cref="StudyHost"/> in this process; the
/// Orleans host (issue 19, <c>src/Tandem.Service.Orleans</c>) registers one that returns a proxy to the study's grain, so
/// the API is the same whichever process owns the learner.
/// </summary>
public interface IStudyHostFactory
{
    /// <summary>The host of a stored study (opened or reached: the caller does not know which).</summary>
    Task<IStudyHost> OpenAsync(StoredStudy stored, CancellationToken cancellationToken = default);

    /// <summary>A study created by another process over the same shared store, or null when the store has no study
    /// <paramref name="id"/>. Called when this process does not know <paramref name="id"/>.</summary>
    IStudyHost? TryOpenShared(string id);
}
