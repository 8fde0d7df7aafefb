using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;

namespace LongCat.Samples;

/// <summary>The clock the demo model was trained to call (Semantic Kernel names it <c>Clock_GetCurrentTime</c>).</summary>
public sealed class ClockPlugin
{
    [KernelFunction, Description("Returns the current local time.")]
    public string GetCurrentTime() =>
        // LONGCAT_SAMPLE_FIXED_TIME pins the answer (reproducible CI output).
        Environment.GetEnvironmentVariable("LONGCAT_SAMPLE_FIXED_TIME") is { Length: > 0 } fixedTime
            ? fixedTime
            : DateTime.Now.ToString("HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>The calculator the demo model was trained to call (<c>Calculator_Add</c>, <c>Calculator_Multiply</c>, <c>Calculator_Subtract</c>).</summary>
public sealed class CalculatorPlugin
{
    [KernelFunction, Description("Add two numbers.")]
    public long Add(long a, long b) => a + b;

    [KernelFunction, Description("Multiply two numbers.")]
    public long Multiply(long a, long b) => a * b;

    [KernelFunction, Description("Subtract the second number from the first.")]
    public long Subtract(long a, long b) => a - b;
}

/// <summary>Prints each function call the kernel makes on the model's behalf (an auto-function-invocation filter).</summary>
public sealed class PrintCallsFilter : IAutoFunctionInvocationFilter
{
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        string args = string.Join(", ", context.Arguments?.Select(a => $"{a.Key}: {a.Value}") ?? []);
        await next(context);
        Console.WriteLine($"  [{context.Function.PluginName}.{context.Function.Name}({args}) -> {context.Result.GetValue<object>()}]");
    }
}
