using Tandem.Llm.Providers;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defect 5: no credential in an endpoint URL reaches a message, a summary or a log.</summary>
public class RedactionTests
{
    private const string Secret = "Zq7SECRETvalue42";

    [Theory]
    [InlineData("openai:gpt@https://user:" + Secret + "@host.example/v1")]
    [InlineData("openai:gpt@https://host.example/v1?api-key=" + Secret)]
    [InlineData("openai:gpt@https://host.example/v1?api-version=2024-10-21&key=" + Secret)]
    [InlineData("openai:gpt@https://host.example/v1?token=" + Secret)]
    [InlineData("openai:gpt@https://host.example/v1?access_token=" + Secret)]
    [InlineData("ollama:llama3@http://host.example:11434/?sig=" + Secret)]
    [InlineData("openai:gpt@https://host.example/v1?x-api-key=" + Secret)]
    public void Spec_WithACredentialInTheUrl_IsRefused_WithoutEchoingIt(string text)
    {
        var ex = Assert.Throws<FormatException>(() => LlmSpec.Parse(text));
        Assert.DoesNotContain(Secret, ex.Message);
        Assert.Contains("***", ex.Message);
    }

    [Theory]
    [InlineData("gpt4@https://user:" + Secret + "@host")]
    [InlineData("anthropic:claude@https://h/v1?key=" + Secret)]
    [InlineData("openai:@https://h/v1?key=" + Secret)]
    [InlineData("openai:gpt@ftp://user:" + Secret + "@h/")]
    public void Spec_OtherErrors_DoNotEchoCredentialsEither(string text)
    {
        var ex = Assert.Throws<FormatException>(() => LlmSpec.Parse(text));
        Assert.DoesNotContain(Secret, ex.Message);
    }

    [Fact]
    public void Spec_WithAHarmlessQuery_IsAccepted()
    {
        LlmSpec spec = LlmSpec.Parse("openai:gpt@https://my.openai.azure.com/openai/v1?api-version=2024-10-21");
        Assert.Equal("api-version=2024-10-21", spec.Endpoint!.Query.TrimStart('?'));
    }

    [Fact]
    public void Spec_BuiltDirectly_PrintsWithoutItsCredentials()
    {
        var spec = new LlmSpec(LlmKind.OpenAi, "gpt", new Uri($"https://u:{Secret}@host.example/v1?api-key={Secret}&api-version=1"), null);
        string text = spec.ToString();
        Assert.DoesNotContain(Secret, text);
        Assert.Contains("api-version=1", text);
        var ex = Assert.Throws<LlmConfigurationException>(() => LlmClients.Create(spec, new Middleware.LlmLedger(), environment: _ => "k"));
        Assert.DoesNotContain(Secret, ex.Message);
    }

    [Theory]
    [InlineData("https://user:" + Secret + "@h.example/v1", "https://***@h.example/v1")]
    [InlineData("see https://h.example/v1?a=1&api_key=" + Secret + "&b=2 now", "see https://h.example/v1?a=1&api_key=*** &b=2 now")]
    [InlineData("Authorization: Bearer " + Secret, "Authorization: Bearer ***")]
    [InlineData("Incorrect API key provided: sk-proj-" + Secret + ".", "Incorrect API key provided: sk-***.")]
    [InlineData("nothing secret here: key points, token ring", "nothing secret here: key points, token ring")]
    public void Text_MasksEveryCredentialShape(string input, string expected) =>
        Assert.Equal(expected.Replace("*** &", "***&", StringComparison.Ordinal), Redaction.Text(input));

    [Fact]
    public void Text_MasksNamedSecrets_AndUrlMasksUserInfoAndQuery()
    {
        Assert.Equal("the key was ***", Redaction.Text("the key was " + Secret, [Secret]));
        Assert.Equal("https://***@h.example/v1?sig=***", Redaction.Url(new Uri($"https://a:{Secret}@h.example/v1?sig={Secret}")));
        Assert.True(Redaction.HasCredentials(new Uri("https://h.example/?SAS-Token=1")));
        Assert.False(Redaction.HasCredentials(new Uri("https://h.example/?api-version=1")));
    }
}
