using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// The tools the bundled demo models were trained to call, as Microsoft.Extensions.AI functions and Semantic Kernel plugins: the
/// demo model's clock and calculator, the thinking demo model's clock, adder and reminder (in its trained order). Each records
/// its calls, so a test sees what reached it.
/// </summary>
internal static class DemoTools
{
    public static AIFunction Clock(List<string> calls) => AIFunctionFactory.Create(
        ([Description("The city, e.g. Paris")] string city) => { calls.Add(city); return "14:30"; },
        "get_current_time", "Get the current time in a city.");

    public static AIFunction Multiply(List<string> calls) => AIFunctionFactory.Create(
        (double a, double b) => { calls.Add($"{a}*{b}"); return a * b; }, "multiply", "Multiply two numbers.");

    // The thinking model's Reminder-Create, as its tool declaration shows it.
    private const string ReminderSchema = """
        {"type": "object", "properties": {"minutes": {"type": "integer", "description": "Minutes from now."}, "message": {"type": "string", "description": "What to remind."},
         "options": {"type": "object", "description": "Reminder options.", "properties": {"repeat": {"type": "boolean"}, "sound": {"type": "string"}}}},
         "required": ["minutes", "message", "options"]}
        """;

    /// <summary>The thinking demo model's trained tool set, with the names and schemas it saw.</summary>
    public static AIFunction[] ThinkingToolSet(List<AIFunctionArguments> reminders) =>
    [
        new SchemaFunction("Clock-GetCurrentTime", "Get the current time in a city.",
            """{"type": "object", "required": ["city"], "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}}}""", _ => "14:30"),
        new SchemaFunction("Calculator-Add", "Add two numbers.",
            """{"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}""", _ => 42),
        new SchemaFunction("Reminder-Create", "Create a reminder.", ReminderSchema, a => { reminders.Add(a); return "Reminder set."; }),
    ];

    private sealed class SchemaFunction(string name, string description, string schema, Func<AIFunctionArguments, object?> body) : AIFunction
    {
        public override string Name => name;
        public override string Description => description;
        public override JsonElement JsonSchema { get; } = JsonDocument.Parse(schema).RootElement.Clone();
        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) => ValueTask.FromResult(body(arguments));
    }
}

/// <summary>The clock plugin, shaped as the models' training tool.</summary>
public sealed class ClockPlugin
{
    public List<string> Calls { get; } = [];

    [KernelFunction, Description("Get the current time in a city.")]
    public string GetCurrentTime([Description("The city, e.g. Paris")] string city) { Calls.Add(city); return "14:30"; }
}

/// <summary>The samples' calculator (long a, long b), as the demo model was trained to call it.</summary>
public sealed class CalculatorPlugin
{
    public List<(long A, long B)> Calls { get; } = [];

    [KernelFunction, Description("Add two numbers.")]
    public long Add(long a, long b) { Calls.Add((a, b)); return a + b; }

    [KernelFunction, Description("Multiply two numbers.")]
    public long Multiply(long a, long b) { Calls.Add((a, b)); return a * b; }

    [KernelFunction, Description("Subtract the second number from the first.")]
    public long Subtract(long a, long b) { Calls.Add((a, b)); return a - b; }
}

/// <summary>The thinking demo model's calculator: Add alone, as it was trained.</summary>
public sealed class AdderPlugin
{
    [KernelFunction, Description("Add two numbers.")]
    public long Add(long a, long b) => a + b;
}

public sealed class ReminderOptions
{
    [System.Text.Json.Serialization.JsonPropertyName("repeat")] public bool Repeat { get; set; }
    [System.Text.Json.Serialization.JsonPropertyName("sound")] public string? Sound { get; set; }
}

/// <summary>The thinking demo model's reminder: an integer, a string and an object argument.</summary>
public sealed class ReminderPlugin
{
    public List<(int Minutes, string Message, ReminderOptions Options)> Calls { get; } = [];

    [KernelFunction, Description("Create a reminder.")]
    public string Create([Description("Minutes from now.")] int minutes, [Description("What to remind.")] string message,
        [Description("Reminder options.")] ReminderOptions options)
    {
        Calls.Add((minutes, message, options));
        return "Reminder set.";
    }
}

/// <summary>Records each function Semantic Kernel's auto invocation runs.</summary>
internal sealed class CountingFilter : IAutoFunctionInvocationFilter
{
    public List<string> Seen { get; } = [];

    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        Seen.Add($"{context.Function.PluginName}.{context.Function.Name}");
        await next(context);
    }
}
