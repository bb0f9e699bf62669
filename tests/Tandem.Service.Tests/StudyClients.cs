using System.Net.Http.Headers;
using System.Text.Json;

namespace Tandem.Service.Tests;

/// <summary>Client helpers shared by the single-node and the cluster tests (linked into Tandem.Service.Orleans.Tests).</summary>
internal static class StudyClients
{
    /// <summary>A client for the same server as <paramref name="client"/>, sending <paramref name="key"/> as its bearer key (none when null).</summary>
    public static HttpClient WithKey(this HttpClient client, string? key)
    {
        var keyed = new HttpClient { BaseAddress = client.BaseAddress };
        if (key is not null) keyed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return keyed;
    }

    /// <summary>Create a study with the admin key; asserts 201 and returns the study's API key.</summary>
    public static async Task<string> CreateStudyAsync(this HttpClient client, string adminKey, string json)
    {
        using var admin = client.WithKey(adminKey);
        using var response = await admin.PostAsync("/v1/studies", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }
}
