using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defects 2 (unbounded responses), 18 (redirects) and 21 (which key goes where), against real
/// local HTTP servers.</summary>
public sealed class ProviderHardeningTests
{
    private const string Good = "treatment=2, DietScore=3.0, PhyActHours=0.5";
    private const string Secret = "sk-test-SECRET-hardening-0123456789";
    private const long Cap = 256 * 1024;

    // The server stops on its own after this much, so a client that does not stop still ends the test (with a reason
    // that is not the cap's). How much the server got written is no measure: loopback socket buffers hold megabytes.
    private const long ServerLimit = 24L * 1024 * 1024;

    private static readonly ResilienceOptions Fast = new() { AttemptTimeout = TimeSpan.FromSeconds(20), MaxRetries = 0, BaseDelay = TimeSpan.FromMilliseconds(5) };

    private static AdviceRequest Request() => new(AdviceParserTests.Problem, (double[])AdviceParserTests.Patient.Clone());

    private static async Task<PortAnswer<Advice>> Ask(string spec, LlmClientOptions options, Func<string, string?>? environment = null)
    {
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse(spec), ledger, options, environment ?? (_ => null));
        return await new LlmRecourseAdvisor(client, ledger, "hostile").AdviseAsync(Request());
    }

    private static async Task Endless(RawHttpServer server, HttpContext http, string contentType, string prefix, TimeSpan pause = default, int chunk = 64 * 1024)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = contentType;
        await server.WriteAsync(http, Encoding.UTF8.GetBytes(prefix));
        byte[] block = Encoding.ASCII.GetBytes(new string('a', chunk));
        while (server.Written < ServerLimit && !http.RequestAborted.IsCancellationRequested)
        {
            await server.WriteAsync(http, block);
            if (pause > TimeSpan.Zero) await Task.Delay(pause, http.RequestAborted);
        }
    }

    [Fact]
    public async Task Ollama_EndlessNdjsonLine_StopsAtTheCap_AsAParseFallback()
    {
        await using var server = new RawHttpServer((s, http) => Endless(s, http, "application/x-ndjson", "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\""));
        await server.StartAsync();
        PortAnswer<Advice> advice = await Ask($"ollama:m@{server.BaseAddress}", new LlmClientOptions { Resilience = Fast, MaxResponseBytes = Cap });
        Assert.False(advice.IsGiven);
        Assert.StartsWith("parse:", advice.Reason);
        Assert.Contains($"larger than {Cap} bytes", advice.Reason);
    }

    [Fact]
    public async Task OpenAi_EndlessChunkedBody_StopsAtTheCap_AsAParseFallback()
    {
        await using var server = new RawHttpServer((s, http) => Endless(s, http, "application/json", "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""));
        await server.StartAsync();
        PortAnswer<Advice> advice = await Ask($"openai:m@{server.BaseAddress}v1", new LlmClientOptions { Resilience = Fast with { MaxRetries = 2 }, MaxResponseBytes = Cap });
        Assert.StartsWith("parse:", advice.Reason);
        Assert.Contains($"larger than {Cap} bytes", advice.Reason);
        Assert.Equal(1, server.Requests); // not retried: another try would get the same
    }

    [Fact]
    public async Task OpenAi_DeclaredLengthOverTheCap_IsRefusedBeforeReading()
    {
        await using var server = new RawHttpServer(async (s, http) =>
        {
            http.Response.ContentLength = ServerLimit;
            http.Response.ContentType = "application/json";
            await s.WriteAsync(http, Encoding.UTF8.GetBytes("{\"id\":"));
        });
        await server.StartAsync();
        PortAnswer<Advice> advice = await Ask($"openai:m@{server.BaseAddress}v1", new LlmClientOptions { Resilience = Fast, MaxResponseBytes = Cap });
        Assert.Contains($"larger than {Cap} bytes", advice.Reason);
    }

    [Fact]
    public async Task Ollama_TricklingLine_IsCutByTheDeadline()
    {
        // One small chunk every 20 ms: the line never ends and never reaches the cap, so only the deadline can stop it.
        await using var server = new RawHttpServer((s, http) => Endless(s, http, "application/x-ndjson", "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"",
            pause: TimeSpan.FromMilliseconds(20), chunk: 16));
        await server.StartAsync();
        PortAnswer<Advice> advice = await Ask($"ollama:m@{server.BaseAddress}", new LlmClientOptions { Resilience = Fast with { AttemptTimeout = TimeSpan.FromSeconds(1) } });
        Assert.StartsWith("timeout:", advice.Reason);
    }

    [Theory]
    [InlineData("ollama", "api/chat")]
    [InlineData("openai", "v1/chat/completions")]
    public async Task Redirect_ToAnotherOrigin_IsNotFollowed(string provider, string path)
    {
        await using var elsewhere = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: Good));
        await elsewhere.StartAsync();
        await using var redirecting = new RawHttpServer((_, http) =>
        {
            http.Response.StatusCode = 307;
            http.Response.Headers.Location = new Uri(elsewhere.BaseAddress, path + "?token=" + Secret).ToString();
            return Task.CompletedTask;
        });
        await redirecting.StartAsync();
        string spec = provider == "ollama" ? $"ollama:m@{redirecting.BaseAddress}" : $"openai:m@{redirecting.BaseAddress}v1";
        PortAnswer<Advice> advice = await Ask(spec, new LlmClientOptions { Resilience = Fast with { MaxRetries = 2 } });
        Assert.StartsWith("http:", advice.Reason);
        Assert.Equal(0, elsewhere.Requests);
        Assert.Equal(1, redirecting.Requests); // a refused redirect is not retried
    }

    [Fact]
    public async Task OpenAiKey_IsNotSentToAnotherHost_TandemKeyIs()
    {
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: Good));
        await server.StartAsync();
        string spec = $"openai:m@{server.BaseAddress}v1";
        PortAnswer<Advice> withOpenAiKey = await Ask(spec, new LlmClientOptions { Resilience = Fast }, name => name == ApiKeys.OpenAiVariable ? Secret : null);
        PortAnswer<Advice> withTandemKey = await Ask(spec, new LlmClientOptions { Resilience = Fast }, name => name == ApiKeys.TandemVariable ? Secret + "-t" : null);
        Assert.True(withOpenAiKey.IsGiven);
        Assert.True(withTandemKey.IsGiven);
        Assert.Equal(["Bearer no-key", "Bearer " + Secret + "-t"], server.Authorizations);
    }

    [Theory]
    [InlineData(null, ApiKeys.OpenAiVariable, true)]
    [InlineData("https://api.openai.com/v1", ApiKeys.OpenAiVariable, true)]
    [InlineData("https://api.openai.com/v1", ApiKeys.TandemVariable, true)]
    [InlineData("http://api.openai.com/v1", ApiKeys.OpenAiVariable, false)]
    [InlineData("https://api.openai.com.evil.example/v1", ApiKeys.OpenAiVariable, false)]
    [InlineData("https://proxy.example/v1", ApiKeys.OpenAiVariable, false)]
    [InlineData("https://proxy.example/v1", ApiKeys.TandemVariable, true)]
    [InlineData("http://127.0.0.1:8000/v1", ApiKeys.OpenAiVariable, false)]
    public void ApiKeys_For_SendsTheOpenAiKeyToOpenAiOnly(string? endpoint, string variable, bool sent)
    {
        string? key = ApiKeys.For(endpoint is null ? null : new Uri(endpoint), name => name == variable ? Secret : null);
        Assert.Equal(sent ? Secret : null, key);
    }

    [Theory]
    [InlineData("openai:m@http://192.0.2.10:8000/v1")]
    [InlineData("openai:m@http://gpu-box.example:8000/v1")]
    public void KeyOverPlainHttp_ToAnotherMachine_IsRefused_UnlessOptedIn(string spec)
    {
        Func<string, string?> env = name => name == ApiKeys.TandemVariable ? Secret : null;
        var ex = Assert.Throws<LlmConfigurationException>(() => LlmClients.Create(LlmSpec.Parse(spec), new LlmLedger(), new LlmClientOptions(), env));
        Assert.Contains("clear text", ex.Message);
        Assert.Contains("AllowKeyOverHttp", ex.Message);
        Assert.DoesNotContain(Secret, ex.Message);
        Assert.Throws<LlmConfigurationException>(() => LlmEmbeddings.Create(LlmSpec.Parse(spec), "e", new LlmLedger(), new LlmClientOptions(), env));

        using IChatClient optedIn = LlmClients.Create(LlmSpec.Parse(spec), new LlmLedger(), new LlmClientOptions { AllowKeyOverHttp = true }, env);
        using IChatClient noKey = LlmClients.Create(LlmSpec.Parse(spec), new LlmLedger(), new LlmClientOptions(), _ => null);
        using IChatClient overTls = LlmClients.Create(LlmSpec.Parse(spec.Replace("http:", "https:", StringComparison.Ordinal)), new LlmLedger(), new LlmClientOptions(), env);
        using IChatClient loopback = LlmClients.Create(LlmSpec.Parse("openai:m@http://localhost:8000/v1"), new LlmLedger(), new LlmClientOptions(), env);
    }

    [Fact]
    public void MaxResponseBytes_OutOfRange_NamesTheOption()
    {
        Assert.Equal("MaxResponseBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new LlmClientOptions { MaxResponseBytes = 10 }.Validate()).ParamName);
        Assert.Equal("MaxResponseBytes", Assert.Throws<ArgumentOutOfRangeException>(() =>
            LlmClients.Create(LlmSpec.Parse("ollama:m"), new LlmLedger(), new LlmClientOptions { MaxResponseBytes = 2L << 30 })).ParamName);
    }
}
