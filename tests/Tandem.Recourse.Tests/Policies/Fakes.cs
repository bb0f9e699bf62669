using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;

namespace Tandem.Recourse.Tests.Policies;

/// <summary>A scripted advisor with a callback (STYLE 9: hand-written fakes, no mocking library).</summary>
internal sealed class ScriptedAdvisor(Func<AdviceRequest, PortAnswer<Advice>> answer) : IRecourseAdvisor
{
    public int Calls { get; private set; }

    public string Name => "scripted";

    public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        Calls++;
        return ValueTask.FromResult(answer(request));
    }
}
