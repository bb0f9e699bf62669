using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Reporting;

/// <summary>
/// Checks a JSON value against the subset of JSON Schema that <see cref="JsonSchemas"/> exports: <c>type</c> (one or
/// several), <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>items</c>, <c>enum</c>,
/// <c>anyOf</c>, <c>$ref</c> to a JSON pointer in the same document (<c>$defs</c> holds its targets) and the boolean schemas. Any other keyword makes
/// the check fail loudly (<see cref="NotSupportedException"/>) rather than pass silently. Used by the tests that hold
/// every command's <c>--json</c> output to its published schema, and by readers who want the same check.
/// </summary>
public static class SchemaValidator
{
    private static readonly HashSet<string> Known =
    [
        "$schema", "title", "description", "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$ref",
        "default", "$comment", "$defs",
    ];

    /// <summary>Every way <paramref name="instance"/> breaks <paramref name="schema"/>, as "path: problem" lines; empty when it conforms.</summary>
    /// <exception cref="NotSupportedException">The schema uses a keyword outside the supported subset.</exception>
    public static IReadOnlyList<string> Validate(JsonNode schema, JsonNode? instance)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<string>();
        Check(schema, schema, instance, "$", errors, 0);
        return errors;
    }

    private static void Check(JsonNode root, JsonNode schema, JsonNode? value, string path, List<string> errors, int depth)
    {
        if (depth > 256) throw new NotSupportedException("Schema nesting deeper than 256 (a $ref cycle?).");
        if (schema is JsonValue b && b.TryGetValue(out bool allow))
        {
            if (!allow) errors.Add($"{path}: no value is allowed here");
            return;
        }
        if (schema is not JsonObject s) throw new NotSupportedException($"Schema at {path} is neither an object nor a boolean.");
        foreach (var (keyword, _) in s)
            if (!Known.Contains(keyword)) throw new NotSupportedException($"Schema keyword '{keyword}' (at {path}) is not supported by this validator.");

        if (s["$ref"] is JsonValue refValue)
        {
            Check(root, Resolve(root, refValue.GetValue<string>()), value, path, errors, depth + 1);
            return;
        }
        if (s["type"] is JsonNode type)
        {
            string[] allowed = type is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToArray() : [type.GetValue<string>()];
            string actual = TypeOf(value);
            bool ok = allowed.Contains(actual) || (actual == "integer" && allowed.Contains("number"));
            if (!ok)
            {
                errors.Add($"{path}: {actual} where the schema allows {string.Join(" or ", allowed)}");
                return;
            }
        }
        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
            errors.Add($"{path}: {Short(value)} is not one of {options.ToJsonString()}");
        if (s["anyOf"] is JsonArray anyOf)
        {
            bool any = anyOf.Any(option => { var e = new List<string>(); Check(root, option!, value, path, e, depth + 1); return e.Count == 0; });
            if (!any) errors.Add($"{path}: matches none of the {anyOf.Count} allowed shapes");
        }
        if (value is JsonObject obj)
        {
            var properties = s["properties"] as JsonObject;
            if (s["required"] is JsonArray required)
                foreach (string name in required.Select(r => r!.GetValue<string>()))
                    if (!obj.ContainsKey(name)) errors.Add($"{path}: the required field '{name}' is missing");
            foreach (var (name, child) in obj)
            {
                string childPath = $"{path}.{name}";
                if (properties?[name] is JsonNode propertySchema) Check(root, propertySchema, child, childPath, errors, depth + 1);
                else if (s["additionalProperties"] is JsonNode extra) Check(root, extra, child, childPath, errors, depth + 1);
                else if (properties is not null && s["additionalProperties"] is null && !properties.ContainsKey(name))
                {
                    // Exported schemas list every property of a type; an unexpected field means the output and the
                    // published schema have drifted apart. Dictionaries have additionalProperties and no properties.
                    errors.Add($"{path}: the field '{name}' is not in the schema");
                }
            }
        }
        if (value is JsonArray array && s["items"] is JsonNode items)
            for (int i = 0; i < array.Count; i++) Check(root, items, array[i], $"{path}[{i}]", errors, depth + 1);
    }

    private static JsonNode Resolve(JsonNode root, string reference)
    {
        if (reference == "#") return root;
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException($"$ref '{reference}' is not a pointer into the same document.");
        JsonNode? node = root;
        foreach (string raw in reference[2..].Split('/'))
        {
            string part = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) throw new NotSupportedException($"$ref '{reference}' points nowhere.");
        }
        return node!;
    }

    private static string TypeOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            JsonValueKind.Null => "null",
            _ => "unknown",
        },
        _ => "unknown",
    };

    private static bool IsInteger(JsonValue v) =>
        decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) && decimal.Truncate(d) == d;

    private static string Short(JsonNode? value)
    {
        string text = value?.ToJsonString() ?? "null";
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
