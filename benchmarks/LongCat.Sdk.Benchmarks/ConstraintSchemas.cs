using System.Text.Json.Nodes;

namespace LongCat.Sdk.Benchmarks;

/// <summary>The JSON schemas of the constraint benchmark (issue 19).</summary>
internal static class ConstraintSchemas
{
    /// <summary>A typical tool's parameters: a string, an enum, a bounded integer, an object of optional options.</summary>
    public const string Weather = """
        {"type": "object",
         "properties": {
           "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
           "days": {"type": "integer", "minimum": 1, "maximum": 14},
           "options": {"type": "object",
                       "properties": {"include_hourly": {"type": "boolean"}, "language": {"type": "string", "maxLength": 8},
                                      "alerts": {"type": "boolean"}}}},
         "required": ["location", "unit"]}
        """;

    /// <summary>Another tool, to warm the JIT before <see cref="Weather"/> is timed.</summary>
    public const string Calendar = """
        {"type": "object",
         "properties": {
           "title": {"type": "string", "maxLength": 120},
           "start": {"type": "string", "format": "date-time"},
           "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
           "attendees": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 10},
           "visibility": {"enum": ["public", "private"]}},
         "required": ["title", "start"]}
        """;

    /// <summary>
    /// Nested: objects in arrays in objects (orders → lines, shipments → parcels), enums, strings with a pattern and with
    /// formats (uuid, date-time, email), bounded integers and numbers, optional properties, a nullable type list, $ref.
    /// </summary>
    public const string Nested = """
        {"type": "object",
         "$defs": {
           "address": {"type": "object",
             "properties": {
               "street": {"type": "string", "maxLength": 64},
               "city": {"type": "string"},
               "postcode": {"type": "string", "pattern": "^[0-9]{5}(-[0-9]{4})?$"},
               "country": {"enum": ["US", "GB", "DE", "FR", "JP", "CN"]}},
             "required": ["city", "country"]},
           "line": {"type": "object",
             "properties": {
               "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
               "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
               "unit_price": {"type": "number", "minimum": 0, "maximum": 100000},
               "tags": {"type": "array", "items": {"enum": ["gift", "fragile", "bulk", "express"]}, "maxItems": 3}},
             "required": ["sku", "quantity"]}},
         "properties": {
           "order_id": {"type": "string", "format": "uuid"},
           "created": {"type": "string", "format": "date-time"},
           "status": {"type": "string", "enum": ["pending", "paid", "shipped", "cancelled"]},
           "customer": {"type": "object",
             "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 80},
               "email": {"type": "string", "format": "email"},
               "vip": {"type": "boolean"},
               "address": {"$ref": "#/$defs/address"}},
             "required": ["name", "email"]},
           "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}, "minItems": 1, "maxItems": 8},
           "shipments": {"type": "array", "maxItems": 4,
             "items": {"type": "object",
               "properties": {
                 "carrier": {"enum": ["ups", "dhl", "fedex", "usps"]},
                 "to": {"$ref": "#/$defs/address"},
                 "parcels": {"type": "array", "maxItems": 6,
                   "items": {"type": "object",
                     "properties": {
                       "weight_g": {"type": "integer", "minimum": 1, "maximum": 30000},
                       "tracking": {"type": "string", "pattern": "^[A-Z0-9]{10,18}$"}},
                     "required": ["weight_g"]}}},
               "required": ["carrier", "parcels"]}},
           "note": {"type": ["string", "null"], "maxLength": 200}},
         "required": ["order_id", "status", "customer", "lines"]}
        """;

    /// <summary><paramref name="schema"/> without its <c>minLength</c>/<c>maxLength</c> keywords (what the length bounds cost).</summary>
    public static string WithoutLengths(string schema)
    {
        var root = JsonNode.Parse(schema)!;
        static void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                o.Remove("minLength");
                o.Remove("maxLength");
                foreach (var (_, child) in o) Strip(child);
            }
            else if (node is JsonArray a)
                foreach (var child in a) Strip(child);
        }
        Strip(root);
        return root.ToJsonString();
    }
}
