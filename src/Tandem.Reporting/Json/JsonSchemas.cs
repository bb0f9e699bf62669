using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Tandem.Reporting;

/// <summary>
/// JSON Schemas (draft 2020-12 subset) of Tandem's outputs, exported from the very types the commands serialize with
/// <see cref="JsonOutput.Options"/>, so a schema cannot drift from the output (docs/outputs.md). Doubles are
/// <c>number</c> or <c>null</c> (JSON has no NaN; <see cref="JsonOutput"/> writes non-finite values as null).
/// </summary>
public static class JsonSchemas
{
    private const string Draft = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>The schema of <typeparamref name="T"/> as <see cref="JsonOutput"/> writes it.</summary>
    /// <param name="title">The schema's title (e.g. "tandem libra --json").</param>
    public static JsonObject For<T>(string title) => For(typeof(T), title);

    /// <summary>The schema of <paramref name="type"/> as <see cref="JsonOutput"/> writes it.</summary>
    public static JsonObject For(Type type, string title)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = false,
            TransformSchemaNode = (context, node) =>
            {
                Type t = context.TypeInfo.Type;
                if (t == typeof(double) || t == typeof(float)) return new JsonObject { ["type"] = new JsonArray("number", "null") };
                if (t == typeof(double?) || t == typeof(float?)) return new JsonObject { ["type"] = new JsonArray("number", "null") };
                // A dictionary of doubles: the exporter cannot see through the non-finite converter and leaves the values open.
                if (context.TypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Dictionary && node is JsonObject dict
                    && dict["additionalProperties"] is null && context.TypeInfo.ElementType is { } element
                    && (element == typeof(double) || element == typeof(float) || element == typeof(double?) || element == typeof(float?)))
                    dict["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("number", "null") };
                if (context.TypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Enumerable && node is JsonObject list
                    && list["items"] is null && context.TypeInfo.ElementType is { } item
                    && (item == typeof(double) || item == typeof(float) || item == typeof(double?) || item == typeof(float?)))
                    list["items"] = new JsonObject { ["type"] = new JsonArray("number", "null") };
                // JsonOutput writes every public property (no ignore conditions), so every listed property is present.
                if (node is JsonObject obj && obj["properties"] is JsonObject props && obj["required"] is null)
                    obj["required"] = new JsonArray(props.Select(p => (JsonNode)JsonValue.Create(p.Key)!).ToArray());
                return node;
            },
        };
        JsonNode schema = JsonOutput.Options.GetJsonSchemaAsNode(type, exporter);
        var root = new JsonObject { ["$schema"] = Draft, ["title"] = title };
        if (schema is JsonObject o)
            foreach (var (k, v) in o.ToArray())
            {
                o.Remove(k);
                root[k] = v;
            }
        return root;
    }

    /// <summary>The schema as indented JSON text ending with a newline (the files under docs/schemas/).</summary>
    public static string Text(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
