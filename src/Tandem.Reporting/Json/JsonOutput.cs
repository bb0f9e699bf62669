using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Tandem.Reporting;

/// <summary>
/// The one JSON format of Tandem's outputs (summary.json, run manifests, <c>--json</c>):
/// camelCase property names, enums as camelCase strings, and non-finite doubles and floats
/// (NaN, ±∞, which JSON cannot represent) written as <c>null</c>. Reading <c>null</c> into a
/// non-nullable double gives NaN, so a value that was NaN round-trips; ±∞ comes back as NaN.
/// Dictionary keys are written as given.
/// </summary>
public static class JsonOutput
{
    /// <summary>Indented options, shared and read-only.</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>Single-line options, shared and read-only.</summary>
    public static JsonSerializerOptions CompactOptions { get; } = Create(indented: false);

    /// <summary>Serializes <paramref name="value"/> with <see cref="Options"/> or <see cref="CompactOptions"/>.</summary>
    /// <typeparam name="T">The declared type, whose public properties are written.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="indented">Whether to indent (two spaces) or write one line.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize<T>(T value, bool indented = true) =>
        JsonSerializer.Serialize(value, indented ? Options : CompactOptions);

    /// <summary>Reads JSON written by <see cref="Serialize{T}"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="json">The JSON text.</param>
    /// <returns>The value, or default when the text is <c>null</c>.</returns>
    /// <exception cref="JsonException">The text is not valid JSON for <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>
    /// Writes <paramref name="value"/> as indented JSON, UTF-8 without a byte order mark and
    /// ending with a newline, creating the folder if needed.
    /// </summary>
    /// <typeparam name="T">The declared type, whose public properties are written.</typeparam>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="value">The value.</param>
    public static void Write<T>(string path, T value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        OutputFolder.EnsureParent(path);
        File.WriteAllText(path, Serialize(value) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = indented,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            Converters =
            {
                new NonFiniteAsNullDoubleConverter(),
                new NonFiniteAsNullSingleConverter(),
                new JsonStringEnumConverter(JsonNamingPolicy.CamelCase),
            },
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Writes NaN and ±∞ as null (System.Text.Json would throw); reads null as NaN.</summary>
    private sealed class NonFiniteAsNullDoubleConverter : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }

    /// <summary>As <see cref="NonFiniteAsNullDoubleConverter"/>, for <see cref="float"/>.</summary>
    private sealed class NonFiniteAsNullSingleConverter : JsonConverter<float>
    {
        public override bool HandleNull => true;

        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
