using System.Text.Json;
using Tandem.Core.Decisions;

namespace Tandem.Core.Tests.Decisions;

public class DecisionNotesTests
{
    [Fact]
    public void Union_IsOrderFreeAndDeduplicated()
    {
        DecisionNotes a = DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFollowed;
        DecisionNotes b = DecisionNotes.AdvisorFollowed | DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorConsulted;

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(["advisor-consulted", "advisor-followed"], a.Items.ToArray());
    }

    [Fact]
    public void Contains_SubsetsOnly()
    {
        DecisionNotes notes = DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFallback;

        Assert.True(notes.Contains(DecisionNotes.AdvisorConsulted));
        Assert.True(notes.Contains(DecisionNotes.None));
        Assert.False(notes.Contains(DecisionNotes.AdvisorFollowed));
        Assert.False(notes.Contains(DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFollowed));
        Assert.False(DecisionNotes.None.Contains(DecisionNotes.AdvisorConsulted));
    }

    [Fact]
    public void OpenVocabulary_AcceptsNewTokens_AndWithoutRemovesThem()
    {
        DecisionNotes custom = DecisionNotes.Of("clinic-override:dr-lee") | DecisionNotes.Explored;

        Assert.True(custom.Contains("clinic-override:dr-lee"));
        Assert.Equal(DecisionNotes.Explored, custom.Without(DecisionNotes.Of("clinic-override:dr-lee")));
        Assert.True(DecisionNotes.None.IsEmpty);
        Assert.Equal(default, DecisionNotes.None);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("tab\there")]
    [InlineData("bell\u0007")]
    public void Of_RefusesBlankOrControlText(string note)
    {
        var ex = Assert.Throws<ArgumentException>(() => DecisionNotes.Of(note));
        Assert.Equal("note", ex.ParamName);
    }

    [Fact]
    public void Json_RoundTripsAsAnArrayOfStrings()
    {
        DecisionNotes notes = DecisionNotes.AdvisorConsulted | DecisionNotes.Of("x:y");

        string json = JsonSerializer.Serialize(notes);

        Assert.Equal("""["advisor-consulted","x:y"]""", json);
        Assert.Equal(notes, JsonSerializer.Deserialize<DecisionNotes>(json));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DecisionNotes>("""["has space"]"""));
    }
}
